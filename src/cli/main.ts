import { errorMessage, errorName } from '../aws/sdk-errors.ts';
import { type EnvConfig, readEnvConfig } from '../config.ts';
import { CONVERT_HELP, convert } from './convert.ts';
import { UsageError } from './errors.ts';
import { HEADER_HELP, header } from './header.ts';
import { type Io, processIo } from './io.ts';
import { LOGS_HELP, logs } from './logs.ts';
import { OUTCOMES_HELP, outcomes } from './outcomes.ts';
import { REHEARSE_HELP, rehearse } from './rehearse.ts';
import { RUN_HELP, run } from './run.ts';
import { SERVE_HELP, serve } from './serve.ts';
import { START_HELP, start } from './start.ts';
import { STATUS_HELP, status } from './status.ts';
import { VALIDATE_HELP, validate } from './validate.ts';

export const MAIN_HELP = `Usage: cognito-import <command> [options]

Imports users into Amazon Cognito user pools from CSV files, on AWS or on the local twin.

Commands:
  run        import a CSV end to end on the local twin
  validate   check a CSV against a pool's import rules, without importing
  header     print the CSV header a pool's import files must use
  serve      run the local twin as a service and print the endpoints to use
  start      start an import of an object in S3 (AWS, or a twin run by serve)
  status     show an execution and its outcome
  outcomes   list the outcome notifications the local twin received
  logs       print the functions' logs and metrics (the twin's CloudWatch Logs, or AWS)
  rehearse   take imported users through reset, first sign-in and token refresh on the local twin
  convert    turn an Auth0, Keycloak, Supabase, Django, Firebase or other export into an import CSV

Run "cognito-import <command> --help" for a command's options.`;

/**
 * Runs one command line; answers the exit code (0 success, 1 an unsuccessful outcome, 2 a usage
 * or setup error). Long-running commands resolve only when they are stopped.
 */
export async function main(
  argv: string[],
  io: Io = processIo,
  config: EnvConfig = readEnvConfig(),
): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.out(MAIN_HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === 'serve') {
      if (wantsHelp(rest)) return help(io, SERVE_HELP);
      const stop = await serve(rest, io, config);
      await untilSignal();
      await stop();
      return 0;
    }
    if (command === 'run')
      return wantsHelp(rest) ? help(io, RUN_HELP) : await run(rest, io, config);
    if (command === 'validate')
      return wantsHelp(rest) ? help(io, VALIDATE_HELP) : await validate(rest, io, config);
    if (command === 'start')
      return wantsHelp(rest) ? help(io, START_HELP) : await start(rest, io, config);
    if (command === 'status')
      return wantsHelp(rest) ? help(io, STATUS_HELP) : await status(rest, io, config);
    if (command === 'outcomes')
      return wantsHelp(rest)
        ? help(io, OUTCOMES_HELP)
        : await outcomes(rest, io, config, untilSignal());
    if (command === 'logs')
      return wantsHelp(rest) ? help(io, LOGS_HELP) : await logs(rest, io, config, untilSignal());
    if (command === 'header')
      return wantsHelp(rest) ? help(io, HEADER_HELP) : await header(rest, io, config);
    if (command === 'rehearse')
      return wantsHelp(rest) ? help(io, REHEARSE_HELP) : await rehearse(rest, io, config);
    if (command === 'convert')
      return wantsHelp(rest) ? help(io, CONVERT_HELP) : await convert(rest, io);
    throw new UsageError(`Unknown command "${command}". Run "cognito-import --help" for the list.`);
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      io.err(`cognito-import: ${errorMessage(error)}`);
      return 2;
    }
    const name = errorName(error);
    if (SETUP_ERRORS.has(name)) {
      io.err(`cognito-import: ${errorMessage(error)} (${name})`);
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
