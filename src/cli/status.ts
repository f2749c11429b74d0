import { parseArgs } from 'node:util';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { createClients } from '../aws/clients.ts';
import type { EnvConfig } from '../config.ts';
import { UsageError } from './errors.ts';
import { executionArnOf, outcomeOf, printExecution, resolveStateMachine } from './executions.ts';
import type { Io } from './io.ts';

export const STATUS_HELP = `Usage: cognito-import status <executionArn|name> [--state-machine-arn ARN] [--json]

Shows an execution of the import state machine, on AWS or on a twin run by "serve": its status and,
once it has ended, its outcome. Exit 0 for a SUCCEEDED outcome, 1 otherwise (also while running).

Options:
  --state-machine-arn ARN   to find an execution by name (default: $STATE_MACHINE_ARN, else the one listed)
  --json                    print the outcome (or the execution) as JSON
  -h, --help                this help`;

export async function status(argv: string[], io: Io, config: EnvConfig): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'state-machine-arn': { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const which = positionals[0];
  if (!which || positionals.length > 1)
    throw new UsageError('Name one execution, by ARN or by name.');
  const { sfn, s3 } = createClients();
  try {
    let executionArn = which;
    if (!which.startsWith('arn:')) {
      const machine = await resolveStateMachine(
        sfn,
        values['state-machine-arn'],
        config.stateMachineArn,
      );
      executionArn = executionArnOf(machine, which);
    }
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const outcome = execution.status === 'RUNNING' ? undefined : await outcomeOf(s3, execution);
    if (values.json)
      io.out(
        JSON.stringify(
          outcome ?? {
            name: execution.name,
            status: execution.status,
            error: execution.error,
            cause: execution.cause,
          },
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
