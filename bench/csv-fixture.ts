/*
 * The benchmark's input: a ~100 MB users CSV with 500,000+ rows, generated from a seed, in the
 * form spreadsheets and exports really produce (a BOM, some CRLF, RFC 4180 quoted values with
 * commas, `\,` escapes, non-ASCII names, TRUE/True booleans, blank lines) and about 2% invalid
 * rows covering every row rule. The pool it is validated against is defined here too.
 */
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { UserPoolType } from '@aws-sdk/client-cognito-identity-provider';
import { type PoolRules, poolRulesFrom, STANDARD_CSV_HEADER } from '../src/csv/index.ts';

/** Columns of the bench file: the standard header, two custom attributes. */
export const BENCH_HEADER = [...STANDARD_CSV_HEADER, 'custom:tier', 'custom:team'];

/** The pool the bench file is checked against. */
export const BENCH_POOL: UserPoolType = {
  Id: 'eu-west-1_Bench0001',
  AutoVerifiedAttributes: ['email'],
  MfaConfiguration: 'OFF',
  UsernameConfiguration: { CaseSensitive: false },
  SchemaAttributes: [
    { Name: 'sub', AttributeDataType: 'String', Required: true, Mutable: false },
    { Name: 'email', AttributeDataType: 'String', Required: true },
    {
      Name: 'custom:tier',
      AttributeDataType: 'Number',
      NumberAttributeConstraints: { MinValue: '0', MaxValue: '10' },
    },
    {
      Name: 'custom:team',
      AttributeDataType: 'String',
      StringAttributeConstraints: { MinLength: '0', MaxLength: '32' },
    },
  ],
};

/** The bench pool's rules. */
export function benchRules(): PoolRules {
  return poolRulesFrom(BENCH_POOL, BENCH_HEADER);
}

/** A small seeded PRNG (mulberry32): the same seed gives the same file everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GIVEN = [
  'Anna',
  'José',
  'Zoë',
  'Øyvind',
  'Mårten',
  'Chloé',
  'Łukasz',
  'Jürgen',
  'Ngọc',
  'Siobhán',
  'Ahmed',
  'Yuki',
  'Priya',
  'Olu',
  'Mateo',
  'Grace',
  'Li',
  'Ivan',
  'Amélie',
  'Søren',
  'Анна',
  'Дмитрий',
  '美咲',
  '太郎',
  'Σοφία',
  'Noah',
  'Emma',
  'Liam',
  'Olivia',
  'Ava',
];
const FAMILY = [
  'Smith',
  'García',
  'Müller',
  'Nguyễn',
  'Kowalski',
  "O'Brien",
  'Dubois',
  'Rossi',
  'Jensen',
  'Silva',
  'Kim',
  'Patel',
  'Okafor',
  'Tanaka',
  'Ivanova',
  'Doe',
  'Brown',
  'Lefèvre',
  'Johansson',
  'Petrović',
  'Иванов',
  '山田',
  'Παπαδόπουλος',
  'Wilson',
  'Martin',
  'Öztürk',
  'Nowak',
];
const STREETS = [
  'Main St',
  'High Street',
  'Rue de la Paix',
  'Königsallee',
  'Calle Mayor',
  'Elm Rd',
];
const CITIES = ['Springfield', 'Paris', 'Düsseldorf', 'Madrid', 'Kraków', 'Oslo', 'São Paulo'];
const ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Europe/London', 'UTC'];
const LOCALES = ['en-US', 'fr-FR', 'de-DE', 'ja-JP', 'pt-BR', 'es-ES'];
const TEAMS = ['red', 'blue', 'platform', 'payments', 'growth', 'support'];

/** The invalid-row kinds the file contains, one of every row rule. */
export const BAD_KINDS = [
  'username.whitespace',
  'username.empty',
  'username.duplicate',
  'verified.none-true',
  'email.missing-when-verified',
  'email.format',
  'phone.format',
  'boolean.format',
  'mfa.pool-mismatch',
  'birthdate.format',
  'updated_at.format',
  'custom.type',
  'custom.bounds',
  'value.too-long',
  'line.too-long',
  'field-count',
  'encoding.invalid-utf8',
  'encoding.nul',
  'quote.unescaped',
  'value.newline',
  'required.missing',
] as const;

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)] as T;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

function escapeCognito(v: string): string {
  return v.replaceAll(',', '\\,');
}

function quote(v: string): string {
  return `"${v.replaceAll('"', '""')}"`;
}

/**
 * Writes the bench file. Returns quickly if a file of the same parameters exists.
 *
 * @param path - where to write it
 * @param rows - data rows (default 520,000)
 * @param seed - PRNG seed
 */
export async function generateBenchCsv(path: string, rows = 520_000, seed = 42): Promise<number> {
  const marker = `${path}.${rows}.${seed}.done`;
  if (existsSync(path) && existsSync(marker)) return statSync(path).size;
  await mkdir(dirname(path), { recursive: true });
  const rnd = prng(seed);
  const out = createWriteStream(path);
  const parts: (string | Buffer)[] = ['\uFEFF', `${BENCH_HEADER.join(',')}\r\n`];
  let pendingBytes = 0;
  const flush = async () => {
    const buf = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
    parts.length = 0;
    pendingBytes = 0;
    if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  let bad = 0;
  for (let i = 1; i <= rows; i++) {
    const given = pick(rnd, GIVEN);
    const family = pick(rnd, FAMILY);
    const ascii = `${given}.${family}`.normalize('NFKD').replace(/[^A-Za-z.']/g, '');
    let username = `${rnd() < 0.1 ? given.toLowerCase() : ascii.toLowerCase() || 'user'}${i}`;
    let email = `${ascii.toLowerCase().replaceAll("'", '') || 'user'}${i}@example.com`;
    let emailVerified = rnd() < 0.15 ? 'TRUE' : 'true';
    let phone = `+1${Math.floor(2000000000 + rnd() * 7999999999)}`;
    let phoneVerified = rnd() < 0.5 ? 'false' : '';
    let mfa = rnd() < 0.5 ? 'false' : '';
    let birthdate = `${pad2(1 + Math.floor(rnd() * 12))}/${pad2(1 + Math.floor(rnd() * 28))}/${1950 + Math.floor(rnd() * 55)}`;
    let updatedAt = `${1500000000 + Math.floor(rnd() * 200000000)}`;
    let tier = `${Math.floor(rnd() * 11)}`;
    const team = pick(rnd, TEAMS);
    const street = `${1 + Math.floor(rnd() * 200)} ${pick(rnd, STREETS)}, ${pick(rnd, CITIES)}`;
    const style = rnd();
    let address = style < 0.25 ? quote(street) : style < 0.5 ? escapeCognito(street) : '';
    let name = rnd() < 0.3 ? quote(`${family}, ${given}`) : `${given} ${family}`;
    let nickname = rnd() < 0.2 ? given.toLowerCase() : '';
    const website = rnd() < 0.05 ? `https://example.org/${i}` : '';
    let extra = '';
    let rawPrefix: Buffer | undefined;
    let kind: (typeof BAD_KINDS)[number] | undefined;
    if (rnd() < 0.02) kind = BAD_KINDS[bad++ % BAD_KINDS.length];
    switch (kind) {
      case 'username.whitespace':
        username = `bad user${i}`;
        break;
      case 'username.empty':
        username = '';
        break;
      case 'username.duplicate':
        username = `${given.toLowerCase()}1`;
        break;
      case 'verified.none-true':
        emailVerified = 'false';
        break;
      case 'email.missing-when-verified':
        email = '';
        emailVerified = 'true';
        break;
      case 'email.format':
        email = `${ascii} at example.com`;
        break;
      case 'phone.format':
        phone = '(555) 123-4567';
        break;
      case 'boolean.format':
        phoneVerified = 'yes';
        break;
      case 'mfa.pool-mismatch':
        mfa = 'true';
        break;
      case 'birthdate.format':
        birthdate = '1985-02-01';
        break;
      case 'updated_at.format':
        updatedAt = '1471453471000';
        break;
      case 'custom.type':
        tier = 'gold';
        break;
      case 'custom.bounds':
        tier = '42';
        break;
      case 'value.too-long':
        nickname = 'x'.repeat(2100);
        break;
      case 'line.too-long':
        extra = 'y'.repeat(2000);
        nickname = `${extra}${extra}${extra}${extra}`;
        address = `${extra}${extra}${extra}${extra}${extra}${extra}${extra}${extra}z`;
        break;
      case 'field-count':
        name = `${family}, ${given}`;
        break;
      case 'encoding.invalid-utf8':
        rawPrefix = Buffer.from([0xc3, 0x28]);
        break;
      case 'encoding.nul':
        nickname = 'nul\u0000byte';
        break;
      case 'quote.unescaped':
        name = `"${given}"${family}`;
        break;
      case 'value.newline':
        address = quote(`${street}\nApartment 4`);
        break;
      case 'required.missing':
        email = '';
        emailVerified = 'false';
        break;
      default:
        break;
    }
    const values = [
      name,
      given,
      family,
      '',
      nickname,
      '',
      '',
      '',
      website,
      email,
      emailVerified,
      rnd() < 0.4 ? '' : rnd() < 0.5 ? 'female' : 'male',
      birthdate,
      rnd() < 0.35 ? '' : pick(rnd, ZONES),
      rnd() < 0.3 ? '' : pick(rnd, LOCALES),
      phone,
      phoneVerified,
      address,
      updatedAt,
      mfa,
      username,
      tier,
      team,
    ];
    // Some rows have spaces around the commas (to be trimmed), but never around a quoted
    // value: spreadsheets do not write that, and csv-parse (the baseline) cannot read it.
    const spaced = rnd() < 0.03 && !values.some((v) => v.startsWith('"'));
    const line = values.join(spaced ? ' , ' : ',');
    if (rawPrefix) parts.push(rawPrefix);
    parts.push(line, rnd() < 0.3 ? '\r\n' : '\n');
    if (rnd() < 0.001) parts.push('\n');
    pendingBytes += line.length + 2;
    if (pendingBytes > 1 << 20) await flush();
  }
  await flush();
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
  const { writeFile } = await import('node:fs/promises');
  await writeFile(marker, '');
  return statSync(path).size;
}
