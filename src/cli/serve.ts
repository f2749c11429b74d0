import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ALLOWED_TAG_KEY } from '../cognito/allowed-pools.ts';
import type { EnvConfig } from '../config.ts';
import { LOCAL_STAGE, startLocalTwin } from '../local/twin.ts';
import { deployedFunctionName } from '../workflow/tasks.ts';
import { checkAllowedPools } from './cognito-target.ts';
import { UsageError } from './errors.ts';
import type { Io } from './io.ts';

export const SERVE_HELP = `Usage: cognito-import serve [--data-dir DIR] [--port N] [--wait-scale X] [--allowed-pools SETTING]

Runs the local twin as a service until stopped (Ctrl-C), on 127.0.0.1: Cognito (with the
CloudWatch Logs of import jobs), S3, Step Functions and the outcome topic. Prints the environment
that points the AWS SDKs and the AWS CLI at it. A CSV put under incoming/ in the local bucket (any
S3 client, or a file copied into the bucket's folder) starts a run, as in AWS.

Options:
  --data-dir DIR    where the twin keeps its state (default: .cognito-import, or $COGNITO_IMPORT_DATA_DIR)
  --port N          first of four consecutive ports: Cognito and Logs N, S3 N+1, Step Functions N+2, SNS N+3
                    (default: free ports)
  --wait-scale X    the fraction of each Wait state really slept (default 0.01; 1 is real time)
  --allowed-pools SETTING
                    the pools runs may import into, as on AWS: tagged (default: pools tagged
                    cognito-import:allowed=true), a comma-separated list of pool ids, or any
                    (dangerous on AWS); default $ALLOWED_USER_POOLS, else tagged
  -h, --help        this help`;

export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65532)
    throw new UsageError(`--port must be a number from 1 to 65532, not "${value}".`);
  return port;
}

/** Starts the twin and resolves once it is listening; answers a function that stops it. */
export async function serve(
  argv: string[],
  io: Io,
  config: Pick<EnvConfig, 'dataDir' | 'allowedUserPools'>,
): Promise<() => Promise<void>> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      'wait-scale': { type: 'string' },
      'allowed-pools': { type: 'string' },
    },
    strict: true,
  });
  const dir = values['data-dir'] ? resolve(values['data-dir']) : config.dataDir;
  const allowedUserPools = checkAllowedPools(values['allowed-pools'] ?? config.allowedUserPools);
  const port = parsePort(values.port);
  const waitScale = Number(values['wait-scale'] ?? '0.01');
  if (!Number.isFinite(waitScale) || waitScale < 0 || waitScale > 1)
    throw new UsageError('--wait-scale must be a number from 0 to 1.');
  let twin: Awaited<ReturnType<typeof startLocalTwin>>;
  try {
    twin = await startLocalTwin({
      dataDir: dir,
      waitScale,
      watch: true,
      allowedUserPools,
      ...(port !== undefined
        ? { ports: { cognito: port, s3: port + 1, sfn: port + 2, sns: port + 3 } }
        : {}),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new UsageError(
        `Port ${port} (or one of the three after it) is already in use: choose another with --port, or leave it out for free ones.`,
      );
    throw error;
  }
  twin.events.on('started', (started) => {
    for (const result of started.results) {
      if (result.status === 'started') {
        io.err(`run ${result.name} started`);
        twin.sfn.waitFor(result.executionArn).then(
          (execution) =>
            io.err(
              `run ${result.name} ended ${execution.status}${execution.cause ? `: ${execution.cause}` : ''}`,
            ),
          () => {},
        );
      } else if (result.status === 'duplicate')
        io.err(`run ${result.name} was already started (duplicate event)`);
    }
  });
  twin.events.on('starterError', (error) => io.err(`the starter failed: ${error.message}`));
  io.err(`Local twin running on 127.0.0.1 (data: ${dir}). Stop it with Ctrl-C.`);
  io.err('Point the AWS SDKs and the AWS CLI at it with:');
  for (const [name, value] of Object.entries(twin.env)) io.out(`export ${name}=${value}`);
  io.out(`export STATE_MACHINE_ARN=${twin.stateMachineArn}`);
  io.err(
    `Bucket: ${twin.bucket}  (put CSVs under incoming/<userPoolId>/; folder: ${twin.s3.bucketDir(twin.bucket)})`,
  );
  io.err(`State machine: ${twin.stateMachineArn}`);
  io.err(
    allowedUserPools === 'tagged'
      ? `Pools: runs import only into pools tagged ${ALLOWED_TAG_KEY}=true (--allowed-pools tagged)`
      : allowedUserPools === 'any'
        ? `Pools: runs may import into ANY pool not tagged ${ALLOWED_TAG_KEY}=false (--allowed-pools any)`
        : `Pools: runs import only into ${allowedUserPools.split(',').join(', ')} (--allowed-pools)`,
  );
  io.err(`Outcome topic: ${twin.topicArn}  (see them with: cognito-import outcomes)`);
  io.err(
    `Function logs: /aws/lambda/${deployedFunctionName(LOCAL_STAGE)}-<function>  (see them with: cognito-import logs --follow)`,
  );
  return () => twin.close();
}
