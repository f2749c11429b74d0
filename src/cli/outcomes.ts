import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type ReceivedMessage, readMessages } from '../../twin/index.ts';
import type { EnvConfig } from '../config.ts';
import type { Io } from './io.ts';

export const OUTCOMES_HELP = `Usage: cognito-import outcomes [--follow] [--json] [--data-dir DIR]

Lists the outcome notifications the local twin's topic received, oldest first: the subject line
of each, or with --json one outcome JSON per line. --follow keeps waiting for new ones (Ctrl-C stops).

Options:
  --follow          keep printing notifications as they arrive
  --json            print each outcome's JSON (one per line)
  --data-dir DIR    the local twin's data folder (default: .cognito-import)
  -h, --help        this help`;

const show = (io: Io, json: boolean, message: ReceivedMessage) =>
  io.out(
    json
      ? message.message
      : `${message.receivedAt}  ${message.subject ?? message.message.slice(0, 100)}`,
  );

export async function outcomes(
  argv: string[],
  io: Io,
  config: EnvConfig,
  stopped: Promise<void>,
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      follow: { type: 'boolean' },
      json: { type: 'boolean' },
      'data-dir': { type: 'string' },
    },
    strict: true,
  });
  const dataDir = values['data-dir'] ? resolve(values['data-dir']) : config.dataDir;
  const json = values.json ?? false;
  let seen = 0;
  const flush = () => {
    const messages = readMessages(dataDir);
    for (const message of messages.slice(seen)) show(io, json, message);
    seen = messages.length;
  };
  flush();
  if (!values.follow) {
    if (seen === 0 && !json) io.err(`No outcome notifications yet in ${dataDir}.`);
    return 0;
  }
  const timer = setInterval(flush, 500);
  await stopped;
  clearInterval(timer);
  return 0;
}
