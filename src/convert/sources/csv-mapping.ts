/**
 * Any other export, as CSV with a header row, and a mapping file that says which column holds
 * which Cognito attribute:
 *
 * ```json
 * { "defaultCountry": "GB",
 *   "columns": { "cognito:username": "login",
 *                "email": { "from": "Mail", "transform": ["trim", "lowercase"] },
 *                "email_verified": "mail_confirmed",
 *                "phone_number": "Tel", "birthdate": "DOB", "custom:plan": "plan",
 *                "password_hash": "pw" } }
 * ```
 *
 * A mapping is a column name, `{ "from": column, "transform": … }`, or `{ "value": constant }`.
 * Every value is trimmed; `lowercase` lower-cases it. `phone_number`, `birthdate` and
 * `updated_at` are always converted to Cognito's forms (`phone` and `date` may be named for
 * clarity); booleans accept true/false, t/f, 1/0 and yes/no. `password_hash` may hold a hash in
 * any of Cognito's formats or a Django `password` value.
 */
import { STANDARD_CSV_HEADER } from '../../csv/index.ts';
import { parseBoolean } from '../attributes.ts';
import { fromAnyHash, reset } from '../hashes.ts';
import { csvRows, ExportFormatError } from '../input.ts';
import type { ColumnMapping, Mapping, Transform } from '../types.ts';
import { isObject, type Source } from './source.ts';

/** The mapping file is not usable (a usage problem, named precisely). */
export class MappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MappingError';
  }
}

const TRANSFORMS: Transform[] = ['trim', 'lowercase', 'phone', 'date', 'boolean'];
const TRANSFORM_TARGETS: Partial<Record<Transform, string[]>> = {
  phone: ['phone_number'],
  date: ['birthdate', 'updated_at'],
};
const BOOLEAN_TARGETS = ['email_verified', 'phone_number_verified', 'cognito:mfa_enabled'];

interface Column {
  target: string;
  from?: string;
  value?: string;
  lowercase: boolean;
}

/**
 * Checks a mapping file's content.
 *
 * @throws MappingError naming what is wrong
 */
export function parseMapping(raw: unknown): Mapping {
  if (!isObject(raw) || !isObject(raw.columns))
    throw new MappingError('The mapping must be a JSON object with a "columns" object.');
  const columns: Record<string, ColumnMapping> = {};
  for (const [target, spec] of Object.entries(raw.columns)) {
    const known =
      STANDARD_CSV_HEADER.includes(target) ||
      target === 'password_hash' ||
      /^custom:[\w.-]{1,20}$/.test(target);
    if (!known)
      throw new MappingError(
        `"${target}" is not a Cognito attribute (a standard one, custom:<name>, cognito:username or password_hash).`,
      );
    if (typeof spec === 'string') columns[target] = spec;
    else if (isObject(spec) && typeof spec.value === 'string')
      columns[target] = { value: spec.value };
    else if (isObject(spec) && typeof spec.from === 'string') {
      const list = spec.transform === undefined ? [] : [spec.transform].flat();
      for (const t of list) {
        if (!TRANSFORMS.includes(t as Transform))
          throw new MappingError(
            `"${target}": unknown transform ${JSON.stringify(t)} (${TRANSFORMS.join(', ')}).`,
          );
        const only = TRANSFORM_TARGETS[t as Transform];
        if (only && !only.includes(target))
          throw new MappingError(
            `"${target}": the ${t} transform applies to ${only.join(' and ')}.`,
          );
      }
      columns[target] = { from: spec.from, transform: list as Transform[] };
    } else
      throw new MappingError(
        `"${target}" must map to a column name, { "from": column, "transform": … } or { "value": constant }.`,
      );
  }
  if (!columns['cognito:username'])
    throw new MappingError('The mapping must say which column is "cognito:username".');
  const mapping: Mapping = { columns };
  if (raw.defaultCountry !== undefined) {
    if (typeof raw.defaultCountry !== 'string' || !/^[A-Z]{2}$/.test(raw.defaultCountry))
      throw new MappingError('"defaultCountry" must be a two-letter country code, like "GB".');
    mapping.defaultCountry = raw.defaultCountry;
  }
  return mapping;
}

function columnsOf(mapping: Mapping): Column[] {
  return Object.entries(mapping.columns).map(([target, spec]) => {
    if (typeof spec === 'string') return { target, from: spec, lowercase: false };
    if ('value' in spec) return { target, value: spec.value, lowercase: false };
    const list = spec.transform === undefined ? [] : [spec.transform].flat();
    return { target, from: spec.from, lowercase: list.includes('lowercase') };
  });
}

function requireMapping(mapping: Mapping | undefined): Mapping {
  if (!mapping) throw new MappingError('A csv export needs a mapping file (--mapping FILE).');
  return mapping;
}

export const csvMapping: Source = {
  recordsVerification: (options) => {
    const columns = requireMapping(options.mapping).columns;
    return columns.email_verified !== undefined || columns.phone_number_verified !== undefined;
  },
  customColumns: (options) =>
    Object.keys(requireMapping(options.mapping).columns).filter((c) => c.startsWith('custom:')),
  async *read({ options }) {
    const columns = columnsOf(requireMapping(options.mapping));
    let checked = false;
    let line = 1;
    for await (const row of csvRows(options.input)) {
      line++;
      if (!checked) {
        checked = true;
        const missing = columns.find((c) => c.from !== undefined && !(c.from in row));
        if (missing)
          throw new ExportFormatError(
            `The CSV has no column "${missing.from}" (mapped to ${missing.target}).`,
          );
      }
      const values: Record<string, string | undefined> = {};
      for (const c of columns) {
        const raw = c.value ?? row[c.from as string];
        values[c.target] = raw === undefined ? undefined : c.lowercase ? raw.toLowerCase() : raw;
      }
      const username = (values['cognito:username'] ?? '').trim();
      const {
        'cognito:username': _username,
        email_verified: ev,
        phone_number_verified: pv,
        password_hash: hash,
        ...attributes
      } = values;
      for (const name of BOOLEAN_TARGETS) {
        const v = attributes[name];
        if (v !== undefined) {
          const parsed = parseBoolean(v);
          attributes[name] = parsed === undefined ? undefined : String(parsed);
        }
      }
      const emailVerified = ev === undefined ? undefined : parseBoolean(ev) === true;
      const phoneVerified = pv === undefined ? undefined : parseBoolean(pv) === true;
      yield {
        id: username || `line ${line}`,
        username,
        attributes,
        ...(emailVerified === undefined ? {} : { emailVerified }),
        ...(phoneVerified === undefined ? {} : { phoneVerified }),
        password:
          hash === undefined ? reset('no password_hash column mapped') : fromAnyHash(hash.trim()),
      };
    }
  },
};
