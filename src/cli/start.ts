import { parseArgs } from 'node:util';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { createClients } from '../aws/clients.ts';
import type { EnvConfig, ImportOptions } from '../config.ts';
import { executionName } from '../workflow/names.ts';
import type { ExecutionInput } from '../workflow/types.ts';
import { checkPoolId } from './cognito-target.ts';
import { UsageError } from './errors.ts';
import { outcomeOf, printExecution, resolveStateMachine, waitForExecution } from './executions.ts';
import { IMPORT_OPTION_FLAGS, IMPORT_OPTIONS_HELP, importOptionsOf } from './import-options.ts';
import type { Io } from './io.ts';

export const START_HELP = `Usage: cognito-import start --bucket B --key K [--pool <id>] [--invalid-rows reject|skip]
                           [--existing-users skip|update] [--create-groups] [--post-import-rate N]
                           [--state-machine-arn ARN] [--wait] [--json]

Starts an import of an object already in S3, on AWS or on a twin run by "serve" (the endpoints in
AWS_ENDPOINT_URL_*): the same StartExecution any other system sends. With --wait, follows it to its
outcome; exit 0 for SUCCEEDED, 1 for any other outcome, 2 on a usage or setup error.

Options:
  --bucket B, --key K         the CSV object
  --pool <id>                 the user pool (default: from the key incoming/<pool>/…, else the stage default)
  --invalid-rows reject|skip  the policy for invalid rows
${IMPORT_OPTIONS_HELP}
                              (each option left out is the stage's default)
  --state-machine-arn ARN     default: $STATE_MACHINE_ARN, else the import-users machine the endpoint
                              lists (through its alias live when it has one, as a deployed stack does)
  --wait                      follow the execution to its end and print the outcome
  --json                      print JSON (the StartExecution answer, or with --wait the outcome)
  -h, --help                  this help`;

export async function start(argv: string[], io: Io, config: EnvConfig): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      bucket: { type: 'string' },
      key: { type: 'string' },
      pool: { type: 'string' },
      'invalid-rows': { type: 'string' },
      ...IMPORT_OPTION_FLAGS,
      'state-machine-arn': { type: 'string' },
      wait: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  if (!values.bucket || !values.key)
    throw new UsageError('Name the object with --bucket and --key.');
  const pool = checkPoolId(values.pool);
  const policy = values['invalid-rows'];
  if (policy !== undefined && policy !== 'reject' && policy !== 'skip')
    throw new UsageError('--invalid-rows must be reject or skip.');
  const options: Partial<ImportOptions> = {
    ...(policy ? { invalidRows: policy } : {}),
    ...importOptionsOf(values),
  };
  const { sfn, s3 } = createClients();
  try {
    const stateMachineArn = await resolveStateMachine(
      sfn,
      values['state-machine-arn'],
      config.stateMachineArn,
      { preferAlias: true },
    );
    const input: ExecutionInput = {
      bucket: values.bucket,
      key: values.key,
      ...(pool ? { userPoolId: pool } : {}),
      ...(Object.keys(options).length > 0 ? { options } : {}),
    };
    // A start by hand is a new request each time: the time stands in for the event's sequencer.
    const name = executionName({
      bucket: values.bucket,
      key: values.key,
      sequencer: `cli-${Date.now()}`,
    });
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
    );
    if (!values.wait) {
      if (values.json)
        io.out(
          JSON.stringify({
            executionArn: started.executionArn,
            name,
            startDate: started.startDate,
          }),
        );
      else
        io.out(
          `started ${name}\n  ${started.executionArn}\n  follow it with: cognito-import status ${started.executionArn}`,
        );
      return 0;
    }
    if (!values.json) io.err(`started ${name}`);
    const execution = await waitForExecution(sfn, started.executionArn as string);
    const outcome = await outcomeOf(s3, execution);
    if (values.json)
      io.out(
        JSON.stringify(
          outcome ?? { status: execution.status, error: execution.error, cause: execution.cause },
          null,
          2,
        ),
      );
    else printExecution(io.out, execution, outcome);
    return outcome?.status === 'SUCCEEDED' ? 0 : 1;
  } finally {
    sfn.destroy();
    s3.destroy();
  }
}
