import { resolve } from 'node:path';

/** Settings the command line takes from the environment: read here once, nowhere else in src/. */
export interface EnvConfig {
  dataDir: string;
}

export const DEFAULT_DATA_DIR = '.cognito-import';

export function readEnvConfig(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): EnvConfig {
  return { dataDir: resolve(cwd, env.COGNITO_IMPORT_DATA_DIR || DEFAULT_DATA_DIR) };
}
