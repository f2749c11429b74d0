import {
  ListStateMachineAliasesCommand,
  ListStateMachinesCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { executionArnOf, resolveStateMachine } from '../../src/cli/executions.ts';

const MACHINE =
  'arn:aws:states:eu-west-1:123456789012:stateMachine:cognito-import-pipeline-prod-import-users';
const sfn = mockClient(SFNClient);
afterEach(() => sfn.reset());

describe('executionArnOf', () => {
  it('names the execution of a state machine, of its alias or of its version alike', () => {
    const execution =
      'arn:aws:states:eu-west-1:123456789012:execution:cognito-import-pipeline-prod-import-users:run-1';
    expect(executionArnOf(MACHINE, 'run-1')).toBe(execution);
    expect(executionArnOf(`${MACHINE}:live`, 'run-1')).toBe(execution);
    expect(executionArnOf(`${MACHINE}:7`, 'run-1')).toBe(execution);
  });
});

describe('resolveStateMachine', () => {
  const listed = () =>
    sfn.on(ListStateMachinesCommand).resolves({
      stateMachines: [
        {
          name: 'other',
          stateMachineArn: `${MACHINE}-other`,
          type: 'STANDARD',
          creationDate: new Date(),
        },
        {
          name: 'cognito-import-pipeline-prod-import-users',
          stateMachineArn: MACHINE,
          type: 'STANDARD',
          creationDate: new Date(),
        },
      ],
    });

  it('takes the flag, else STATE_MACHINE_ARN, as given', async () => {
    const client = new SFNClient({});
    expect(await resolveStateMachine(client, 'arn:flag', 'arn:env', { preferAlias: true })).toBe(
      'arn:flag',
    );
    expect(await resolveStateMachine(client, undefined, `${MACHINE}:live`)).toBe(`${MACHINE}:live`);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('starts through the listed machine’s alias live when it has one', async () => {
    listed();
    sfn.on(ListStateMachineAliasesCommand, { stateMachineArn: MACHINE }).resolves({
      stateMachineAliases: [
        { stateMachineAliasArn: `${MACHINE}:canary`, creationDate: new Date() },
        { stateMachineAliasArn: `${MACHINE}:live`, creationDate: new Date() },
      ],
    });
    const client = new SFNClient({});
    expect(await resolveStateMachine(client, undefined, undefined, { preferAlias: true })).toBe(
      `${MACHINE}:live`,
    );
    // Finding an execution needs the machine itself.
    expect(await resolveStateMachine(client, undefined, undefined)).toBe(MACHINE);
  });

  it('falls back to the machine itself where there is no alias, or aliases cannot be listed (the twin)', async () => {
    listed();
    sfn.on(ListStateMachineAliasesCommand).resolvesOnce({ stateMachineAliases: [] });
    const client = new SFNClient({});
    expect(await resolveStateMachine(client, undefined, undefined, { preferAlias: true })).toBe(
      MACHINE,
    );
    sfn.on(ListStateMachineAliasesCommand).rejects(
      Object.assign(new Error('The local Step Functions twin does not implement it.'), {
        name: 'UnknownOperationException',
      }),
    );
    expect(await resolveStateMachine(client, undefined, undefined, { preferAlias: true })).toBe(
      MACHINE,
    );
  });
});
