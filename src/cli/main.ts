import { readEnvConfig } from '../config.ts';
import { UsageError } from './errors.ts';
import { type Io, processIo } from './io.ts';
import { SERVE_HELP, serve } from './serve.ts';

export const MAIN_HELP = `Usage: cognito-import <command> [options]

Imports users into Amazon Cognito user pools from CSV files, on AWS or on the local twin.

Commands:
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
    throw new UsageError(`Unknown command "${command}". Run "cognito-import --help" for the list.`);
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      io.err(`cognito-import: ${(error as Error).message}`);
      return 2;
    }
    throw error;
  }
}

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
