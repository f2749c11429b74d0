import { parseArgs } from 'node:util';
import { GetCSVHeaderCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { EnvConfig } from '../config.ts';
import { checkPoolId, cognitoTarget } from './cognito-target.ts';
import type { Io } from './io.ts';

export const HEADER_HELP = `Usage: cognito-import header [--pool <id>] [--json] [--aws] [--data-dir DIR]

Prints the CSV header a user pool's import files must use (GetCSVHeader): the columns, comma
separated, ready to be the first line of a file.

Options:
  --pool <id>      the user pool (default: the local twin's default pool)
  --json           print the columns as a JSON array
  --aws            use AWS (or the endpoints in AWS_ENDPOINT_URL_*) instead of the local twin
  --data-dir DIR   the local twin's data folder (default: .cognito-import)
  -h, --help       this help`;

export async function header(argv: string[], io: Io, config: EnvConfig): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      pool: { type: 'string' },
      json: { type: 'boolean' },
      aws: { type: 'boolean' },
      'data-dir': { type: 'string' },
    },
    strict: true,
  });
  const pool = checkPoolId(values.pool);
  const target = await cognitoTarget(
    { ...config, ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}) },
    values.aws ?? false,
  );
  try {
    const UserPoolId = await target.poolId(pool);
    const { CSVHeader = [] } = await target.cognito.send(new GetCSVHeaderCommand({ UserPoolId }));
    io.out(values.json ? JSON.stringify(CSVHeader) : CSVHeader.join(','));
    return 0;
  } finally {
    await target.close();
  }
}
