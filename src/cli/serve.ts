import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startCognitoTwin } from '../local/cognito/index.ts';
import { UsageError } from './errors.ts';
import type { Io } from './io.ts';

export const SERVE_HELP = `Usage: cognito-import serve [--data-dir DIR] [--port N]

Runs the local twin as a service until stopped (Ctrl-C), on 127.0.0.1, and prints the
environment that points the AWS SDKs and the AWS CLI at it.

Options:
  --data-dir DIR   where the twin keeps its state (default: .cognito-import, or $COGNITO_IMPORT_DATA_DIR)
  --port N         the port of the Cognito and CloudWatch Logs endpoint (default: a free port)
  -h, --help       this help`;

export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535)
    throw new UsageError(`--port must be a number from 1 to 65535, not "${value}".`);
  return port;
}

/** Starts the twin and resolves once it is listening; answers a function that stops it. */
export async function serve(argv: string[], io: Io, dataDir: string): Promise<() => Promise<void>> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const dir = values['data-dir'] ? resolve(values['data-dir']) : dataDir;
  const port = parsePort(values.port);
  let cognito: Awaited<ReturnType<typeof startCognitoTwin>>;
  try {
    cognito = await startCognitoTwin({ dataDir: dir, ...(port !== undefined ? { port } : {}) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new UsageError(
        `Port ${port} is already in use: choose another with --port, or leave it out for a free one.`,
      );
    throw error;
  }
  io.err(`Local twin running on 127.0.0.1 (data: ${dir}). Stop it with Ctrl-C.`);
  io.err('Point the AWS SDKs and the AWS CLI at it with:');
  io.out(`export AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=${cognito.endpoint}`);
  io.out(`export AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=${cognito.endpoint}`);
  io.out('export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local');
  return () => cognito.close();
}
