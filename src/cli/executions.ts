import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ListStateMachineAliasesCommand,
  ListStateMachinesCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { outcomeKey } from '../workflow/keys.ts';
import type { Outcome } from '../workflow/types.ts';
import { UsageError } from './errors.ts';
import { postImportLines } from './import-options.ts';

/** The alias a deployed stack starts its runs through (serverless.yml, docs/DEPLOY.md). */
export const LIVE_ALIAS = 'live';

/**
 * The ARN of an execution of a state machine, by name. Executions belong to the state machine,
 * whatever alias or version they started through: `execution:<machine>:<name>`, without the
 * qualifier of an alias or version ARN (`stateMachine:<machine>:live`).
 */
export function executionArnOf(stateMachineArn: string, name: string): string {
  const [arn, partition, service, region, account, , machine] = stateMachineArn.split(':');
  return [arn, partition, service, region, account, 'execution', machine, name].join(':');
}

/**
 * The state machine to use: the flag, else STATE_MACHINE_ARN, else the one whose name says
 * import-users among those the endpoint lists (the twin's, or a deployed stack's). With
 * `preferAlias` (to start runs), a listed machine's alias `live`, when it has one: a deployed
 * stack starts its runs there, on the version its last deploy published (the twin has none).
 */
export async function resolveStateMachine(
  sfn: SFNClient,
  given: string | undefined,
  fromEnv: string | undefined,
  { preferAlias = false }: { preferAlias?: boolean } = {},
): Promise<string> {
  if (given) return given;
  if (fromEnv) return fromEnv;
  const machine = await listedStateMachine(sfn);
  return preferAlias ? ((await liveAliasOf(sfn, machine)) ?? machine) : machine;
}

/** The alias `live` of a state machine, or undefined (none, or the endpoint has no aliases). */
async function liveAliasOf(sfn: SFNClient, stateMachineArn: string): Promise<string | undefined> {
  try {
    let token: string | undefined;
    do {
      const page = await sfn.send(
        new ListStateMachineAliasesCommand({ stateMachineArn, nextToken: token }),
      );
      const live = page.stateMachineAliases?.find((alias) =>
        alias.stateMachineAliasArn?.endsWith(`:${LIVE_ALIAS}`),
      );
      if (live?.stateMachineAliasArn) return live.stateMachineAliasArn;
      token = page.nextToken;
    } while (token);
  } catch {
    // The twin does not implement aliases; a caller may not be allowed to list them.
  }
  return undefined;
}

async function listedStateMachine(sfn: SFNClient): Promise<string> {
  let token: string | undefined;
  const found: string[] = [];
  do {
    const page = await sfn.send(new ListStateMachinesCommand({ nextToken: token }));
    for (const machine of page.stateMachines ?? [])
      if (/import-?users/i.test(machine.name ?? '')) found.push(machine.stateMachineArn as string);
    token = page.nextToken;
  } while (token);
  if (found.length === 1) return found[0] as string;
  throw new UsageError(
    found.length === 0
      ? 'No import state machine found: pass --state-machine-arn or set STATE_MACHINE_ARN (the stack output StateMachineAliasArn).'
      : `Several import state machines found (${found.join(', ')}): choose one with --state-machine-arn.`,
  );
}

export async function waitForExecution(
  sfn: SFNClient,
  executionArn: string,
  onPoll?: (status: string) => void,
): Promise<DescribeExecutionCommandOutput> {
  for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    onPoll?.(execution.status ?? '');
    if (execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE') return execution;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * The outcome of an ended execution: its output when it succeeded, else `reports/<name>/outcome.json`
 * in the input's bucket (a failed execution has no output, only the summary as its cause).
 */
export async function outcomeOf(
  s3: S3Client,
  execution: DescribeExecutionCommandOutput,
): Promise<Outcome | undefined> {
  if (execution.output) return JSON.parse(execution.output) as Outcome;
  const input = JSON.parse(execution.input ?? '{}') as { bucket?: string };
  if (!input.bucket || !execution.name) return undefined;
  try {
    const object = await s3.send(
      new GetObjectCommand({ Bucket: input.bucket, Key: outcomeKey(execution.name) }),
    );
    return JSON.parse(
      await (object.Body as { transformToString(): Promise<string> }).transformToString(),
    ) as Outcome;
  } catch {
    return undefined;
  }
}

export function printExecution(
  out: (line: string) => void,
  execution: DescribeExecutionCommandOutput,
  outcome: Outcome | undefined,
) {
  out(`${execution.name}: ${execution.status}`);
  if (outcome) {
    out(`  ${outcome.summary}`);
    if (outcome.reason) out(`  reason: ${outcome.reason}`);
    for (const line of postImportLines(outcome)) out(`  ${line}`);
    for (const failure of outcome.failures?.sample ?? [])
      out(`  line ${failure.line}: ${failure.reason}`);
    out(`  outcome: s3://${outcome.source.bucket}/${outcome.reportKey}`);
  } else if (execution.error) out(`  ${execution.error}: ${execution.cause ?? ''}`);
}
