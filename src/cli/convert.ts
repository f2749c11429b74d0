import { createReadStream } from 'node:fs';
import { open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type ByteSource,
  ConvertUsageError,
  convertExport,
  ExportFormatError,
  formatReport,
  JsonShapeError,
  type LeftOutUser,
  type Mapping,
  MappingError,
  parseMapping,
  SOURCES,
  type SourceName,
  type TextSink,
} from '../convert/index.ts';
import { UsageError } from './errors.ts';
import { requireFile } from './files.ts';
import type { Io } from './io.ts';

export const CONVERT_HELP = `Usage: cognito-import convert --from <source> <export> --out <users.csv> [--passwords FILE] [--mapping FILE] [--email-verified true|false] [--default-country CC] [--json]

Converts an identity provider's export into a CSV in Cognito's import format, with each password
hash turned into Cognito's format for its algorithm when Cognito can take it (the user keeps the
password), and left out otherwise (the user imports RESET_REQUIRED and resets it). Streams: a
million users convert in bounded memory. Then import the file with "cognito-import run".

Sources:
  auth0     the bulk user export (NDJSON, gzipped or not); --passwords: the password-hash export
            Auth0 support provides (NDJSON), joined on the user id. Social and enterprise users
            are left out.
  keycloak  a realm export (JSON), or the folder of a directory export
  supabase  auth.users as CSV (\\copy (select * from auth.users) to 'users.csv' with csv header)
  django    auth_user as CSV (\\copy auth_user to 'users.csv' with csv header); needs --email-verified
  firebase  firebase auth:export users.json --format=json (passwords cannot carry over)
  csv       any CSV with a header row, with --mapping FILE (columns to Cognito attributes)

A report goes to stderr (--json: to stdout, as JSON): users converted, who keeps the password by
algorithm, who must reset and why, who was left out and why. Users left out are listed, with the
reason, in <out>.left-out.csv. Exit 0 when users were converted, 1 when none were, 2 on a usage
error.

Options:
  --from <source>          one of ${SOURCES.join(', ')}
  --out <users.csv>        the CSV to write
  --passwords FILE         auth0: the password-hash export
  --mapping FILE           csv: the mapping (JSON: {"columns": {"cognito:username": "login", …}})
  --email-verified BOOL    true or false for every user: required when the export does not record
                           it (django; csv without a verified column), an override otherwise
  --default-country CC     the country of phone numbers written without a country code (e.g. GB)
  --json                   print the report as JSON on stdout
  -h, --help               this help`;

const COUNTRY = /^[A-Z]{2}$/;

function fileSource(path: string): ByteSource {
  return createReadStream(path, { highWaterMark: 1 << 20 });
}

/** A file's text sink, written through the stream's buffer with backpressure. */
async function fileSink(path: string): Promise<TextSink & { close(): Promise<void> }> {
  const handle = await open(path, 'w');
  return {
    write: async (text) => {
      await handle.write(text);
    },
    close: () => handle.close(),
  };
}

/** The files of a Keycloak directory export: its users files, else its realm file. */
async function keycloakFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json'));
  const number = (n: string) => Number(/-users-(\d+)\.json$/.exec(n)?.[1] ?? 0);
  const users = names
    .filter((n) => /-users-\d+\.json$/.test(n))
    .sort((a, b) => number(a) - number(b));
  const realm = names.filter((n) => n.endsWith('-realm.json')).sort();
  const files = [...realm, ...users];
  if (files.length === 0)
    throw new UsageError(`${dir}: no Keycloak export files (*-realm.json, *-users-N.json).`);
  return files.map((n) => join(dir, n));
}

async function readMapping(path: string): Promise<Mapping> {
  const file = requireFile(path, 'mapping file');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file.path, 'utf8'));
  } catch {
    throw new UsageError(`${path}: the mapping is not valid JSON.`);
  }
  return parseMapping(raw);
}

/** `users.csv` → `users.left-out.csv`. */
export function leftOutPath(out: string): string {
  const ext = extname(out);
  return join(dirname(out), `${basename(out, ext)}.left-out.csv`);
}

const csvCell = (value: string) =>
  /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;

export async function convert(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      out: { type: 'string' },
      passwords: { type: 'string' },
      mapping: { type: 'string' },
      'email-verified': { type: 'string' },
      'default-country': { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  const source = values.from as SourceName | undefined;
  if (!source || !SOURCES.includes(source))
    throw new UsageError(`--from must be one of ${SOURCES.join(', ')}.`);
  if (positionals.length !== 1) throw new UsageError('Name one export file to convert.');
  const out = values.out;
  if (!out) throw new UsageError('--out <users.csv>: name the CSV to write.');
  const emailVerified = values['email-verified'];
  if (emailVerified !== undefined && emailVerified !== 'true' && emailVerified !== 'false')
    throw new UsageError('--email-verified must be true or false.');
  const country = values['default-country'];
  if (country !== undefined && !COUNTRY.test(country))
    throw new UsageError('--default-country must be a two-letter country code, like GB.');
  if (values.passwords && source !== 'auth0')
    throw new UsageError('--passwords is for auth0 exports only.');
  if (values.mapping && source !== 'csv')
    throw new UsageError('--mapping is for csv exports only.');

  const exportPath = positionals[0] as string;
  let inputs: string[];
  if (source === 'keycloak' && (await stat(exportPath).catch(() => undefined))?.isDirectory())
    inputs = await keycloakFiles(exportPath);
  else inputs = [requireFile(exportPath, 'export file').path];
  const passwords = values.passwords ? requireFile(values.passwords, 'password export') : undefined;
  const mapping = values.mapping ? await readMapping(values.mapping) : undefined;
  if (source === 'csv' && !mapping) throw new UsageError('A csv export needs --mapping FILE.');

  // Written beside their final names and renamed at the end: a failed conversion leaves no
  // half-written file that could be imported by mistake.
  const listPath = leftOutPath(out);
  const partial = `${out}.partial`;
  const partialList = `${listPath}.partial`;
  const sink = await fileSink(partial);
  let list: (TextSink & { close(): Promise<void> }) | undefined;
  const onLeftOut = async (user: LeftOutUser) => {
    if (!list) {
      list = await fileSink(partialList);
      await list.write('id,reason\n');
    }
    await list.write(`${csvCell(user.id)},${csvCell(user.leftOut)}\n`);
  };
  let report: Awaited<ReturnType<typeof convertExport>>;
  try {
    report = await convertExport(
      {
        source,
        input: fileSource(inputs[0] as string),
        ...(inputs.length > 1 ? { moreInputs: inputs.slice(1).map(fileSource) } : {}),
        ...(passwords
          ? { passwords: fileSource(passwords.path), passwordsBytes: passwords.size }
          : {}),
        ...(mapping ? { mapping } : {}),
        ...(emailVerified !== undefined ? { emailVerified: emailVerified === 'true' } : {}),
        ...(country ? { defaultCountry: country } : {}),
        onLeftOut,
      },
      sink,
    );
    await sink.close();
    await list?.close();
  } catch (error) {
    await sink.close().catch(() => {});
    await list?.close().catch(() => {});
    await rm(partial, { force: true });
    await rm(partialList, { force: true });
    if (
      error instanceof ConvertUsageError ||
      error instanceof ExportFormatError ||
      error instanceof MappingError ||
      error instanceof JsonShapeError
    )
      throw new UsageError(`${exportPath}: ${error.message}`);
    if (error instanceof SyntaxError)
      throw new UsageError(`${exportPath}: a user record is not valid JSON.`);
    throw error;
  }
  await rename(partial, out);
  if (list) await rename(partialList, listPath);
  else await rm(listPath, { force: true });
  const where = { out, ...(list ? { leftOut: listPath } : {}) };
  if (values.json)
    io.out(
      JSON.stringify(
        { outFile: out, ...(list ? { leftOutFile: listPath } : {}), ...report },
        null,
        2,
      ),
    );
  else for (const line of formatReport(report, where)) io.err(line);
  return report.converted > 0 ? 0 : 1;
}
