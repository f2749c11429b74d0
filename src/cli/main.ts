import { readEnvConfig } from '../config.ts';
import { UsageError } from './errors.ts';
import { HEADER_HELP, header } from './header.ts';
import { type Io, processIo } from './io.ts';
import { RUN_HELP, run } from './run.ts';
import { SERVE_HELP, serve } from './serve.ts';
import { VALIDATE_HELP, validate } from './validate.ts';

export const MAIN_HELP = `Usage: cognito-import <command> [options]

Imports users into Amazon Cognito user pools from CSV files, on AWS or on the local twin.

Commands:
  run        import a CSV end to end on the local twin
  validate   check a CSV against a pool's import rules, without importing
  header     print the CSV header a pool's import files must use
  serve      run the local twin as a service and print the endpoints to use

Run "cognito-import <command> --help" for a command's options.`;

/**
 * Runs one command line; answers the exit code (0 success, 1 an unsuccessful outcome, 2 a usage
 * or setup error). Long-running commands resolve only when they are stopped.
 */
export async function main(argv: string[], io: Io = processIo, env = process.env): Promise<number> {
  const [command, ...rest] = argv;
  const config = readEnvConfig(env);
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.out(MAIN_HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === 'serve') {
      if (wantsHelp(rest)) return help(io, SERVE_HELP);
      const stop = await serve(rest, io, config.dataDir);
      await untilSignal();
      await stop();
      return 0;
    }
    if (command === 'run')
      return wantsHelp(rest) ? help(io, RUN_HELP) : await run(rest, io, config);
    if (command === 'validate')
      return wantsHelp(rest) ? help(io, VALIDATE_HELP) : await validate(rest, io, config);
    if (command === 'header')
      return wantsHelp(rest) ? help(io, HEADER_HELP) : await header(rest, io, config);
    throw new UsageError(`Unknown command "${command}". Run "cognito-import --help" for the list.`);
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      io.err(`cognito-import: ${(error as Error).message}`);
      return 2;
    }
    const name = (error as { name?: string }).name ?? '';
    if (SETUP_ERRORS.has(name)) {
      io.err(`cognito-import: ${(error as Error).message} (${name})`);
      return 2;
    }
    throw error;
  }
}

/** Service answers that mean the command was pointed at something that is not there or not allowed. */
const SETUP_ERRORS = new Set([
  'ResourceNotFoundException',
  'UserPoolNotFoundException',
  'NotAuthorizedException',
  'AccessDeniedException',
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'InvalidParameterException',
  'StateMachineDoesNotExist',
  'ExecutionDoesNotExist',
  'InvalidArn',
]);

const wantsHelp = (args: string[]) => args.includes('--help') || args.includes('-h');

function help(io: Io, text: string): number {
  io.out(text);
  return 0;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
