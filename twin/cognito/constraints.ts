import { ServiceError } from './errors.ts';

/** A member's constraints as the service model states them. */
export interface MemberRule {
  type: 'string' | 'integer' | 'boolean' | 'list' | 'structure' | 'long';
  required?: boolean;
  min?: number;
  max?: number;
  pattern?: RegExp;
  enum?: readonly string[];
  /** The model marks the member sensitive: its value never appears in an error message. */
  sensitive?: boolean;
  /** Rules of a list's items or a structure's members. */
  items?: MemberRule;
  members?: Shape;
}

export type Shape = Record<string, MemberRule>;

const lowerFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

/**
 * Checks a request against its shape the way the service does: every violation becomes one line
 * of "N validation errors detected: …", answered as InvalidParameterException. SDKs do not
 * check patterns or lengths on the client, so this is the only place such mistakes are caught.
 *
 * @throws ServiceError InvalidParameterException (or SerializationException for a wrong type).
 */
export function checkRequest(
  input: Record<string, unknown>,
  shape: Shape,
  errorType = 'InvalidParameterException',
): void {
  const problems: string[] = [];
  collect(input, shape, '', problems);
  if (problems.length > 0) {
    const count =
      problems.length === 1 ? '1 validation error' : `${problems.length} validation errors`;
    throw new ServiceError(errorType, `${count} detected: ${problems.join('; ')}`);
  }
}

function collect(input: Record<string, unknown>, shape: Shape, prefix: string, problems: string[]) {
  for (const [name, rule] of Object.entries(shape)) {
    const path = prefix ? `${prefix}.${lowerFirst(name)}` : lowerFirst(name);
    checkValue(input[name], rule, path, problems);
  }
}

function checkValue(value: unknown, rule: MemberRule, path: string, problems: string[]) {
  if (value === undefined || value === null) {
    if (rule.required)
      problems.push(
        `Value null at '${path}' failed to satisfy constraint: Member must not be null`,
      );
    return;
  }
  const expected =
    rule.type === 'long' || rule.type === 'integer'
      ? 'number'
      : rule.type === 'list'
        ? 'array'
        : rule.type === 'structure'
          ? 'object'
          : rule.type;
  const actual = Array.isArray(value) ? 'array' : typeof value;
  if (actual !== expected) {
    throw new ServiceError(
      'SerializationException',
      `Unexpected value type for '${path}': expected ${rule.type}`,
    );
  }
  const shown = rule.sensitive ? '' : `${display(value)} `;
  if (typeof value === 'string') {
    // As the service does: for an empty value, the pattern and the minimum length both complain.
    if (rule.pattern && !fullMatch(rule.pattern, value))
      problems.push(
        `Value ${shown}at '${path}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${rule.pattern.source}`,
      );
    if (rule.min !== undefined && value.length < rule.min)
      problems.push(
        `Value ${shown}at '${path}' failed to satisfy constraint: Member must have length greater than or equal to ${rule.min}`,
      );
    if (rule.max !== undefined && value.length > rule.max)
      problems.push(
        `Value ${shown}at '${path}' failed to satisfy constraint: Member must have length less than or equal to ${rule.max}`,
      );
    if (rule.enum && !rule.enum.includes(value))
      problems.push(
        `Value ${shown}at '${path}' failed to satisfy constraint: Member must satisfy enum value set: [${rule.enum.join(', ')}]`,
      );
  } else if (typeof value === 'number') {
    if (!Number.isInteger(value))
      throw new ServiceError(
        'SerializationException',
        `Unexpected value type for '${path}': expected an integer`,
      );
    if (rule.min !== undefined && value < rule.min)
      problems.push(
        `Value '${value}' at '${path}' failed to satisfy constraint: Member must have value greater than or equal to ${rule.min}`,
      );
    if (rule.max !== undefined && value > rule.max)
      problems.push(
        `Value '${value}' at '${path}' failed to satisfy constraint: Member must have value less than or equal to ${rule.max}`,
      );
  } else if (Array.isArray(value)) {
    if (rule.min !== undefined && value.length < rule.min)
      problems.push(
        `Value ${shown}at '${path}' failed to satisfy constraint: Member must have length greater than or equal to ${rule.min}`,
      );
    if (rule.max !== undefined && value.length > rule.max)
      problems.push(
        `Value ${shown}at '${path}' failed to satisfy constraint: Member must have length less than or equal to ${rule.max}`,
      );
    const items = rule.items;
    if (items?.type === 'structure') {
      for (const [i, item] of value.entries())
        checkValue(item, items, `${path}.${i + 1}.member`, problems);
    } else if (items) {
      // A list of scalars is reported as one line for the list, its members' rules in brackets.
      const inner: string[] = [];
      for (const item of value) {
        const found: string[] = [];
        checkValue(item, items, '', found);
        for (const line of found) {
          const rule = line.replace(/^.*? failed to satisfy constraint: /, '');
          if (!inner.includes(rule)) inner.push(rule);
        }
      }
      if (inner.length > 0)
        problems.push(
          `Value ${items.sensitive ? '' : `${display(value)} `}at '${path}' failed to satisfy constraint: Member must satisfy constraint: [${inner.join(', ')}]`,
        );
    }
  } else if (rule.members && typeof value === 'object') {
    collect(value as Record<string, unknown>, rule.members, path, problems);
  }
}

/** A value as Coral writes it in a message: strings and lists of scalars in quotes. */
function display(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `'[${value.map((v) => String(v)).join(', ')}]'`;
  return JSON.stringify(value);
}

/**
 * The service's patterns are Java regular expressions, whose `\s` and `\S` know only ASCII
 * whitespace; JavaScript's also count the no-break space and other Unicode spaces. The pattern is
 * rewritten with the ASCII set before matching.
 */
const JAVA_SPACE = ' \\t\\n\\x0B\\f\\r';
function javaPattern(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\') {
      const next = source[i + 1];
      if (next === 's') out += inClass ? JAVA_SPACE : `[${JAVA_SPACE}]`;
      else if (next === 'S' && inClass && source[i - 1] === '[' && source[i + 2] === ']')
        out = `${out.slice(0, -1)}[^${JAVA_SPACE}`; // the whole class is [\S]
      else if (next === 'S') out += `[^${JAVA_SPACE}]`;
      else out += `\\${next ?? ''}`;
      i++;
      continue;
    }
    if (ch === '[' && !inClass) inClass = true;
    else if (ch === ']' && inClass) inClass = false;
    out += ch;
  }
  return out;
}

const compiled = new Map<RegExp, RegExp>();
function fullMatch(pattern: RegExp, value: string): boolean {
  let anchored = compiled.get(pattern);
  if (!anchored) {
    anchored = new RegExp(`^(?:${javaPattern(pattern.source)})$`, pattern.flags.replace('g', ''));
    compiled.set(pattern, anchored);
  }
  return anchored.test(value);
}

// Shapes shared by several operations (cognito-idp 2016-04-18 service model).
export const UserPoolId: MemberRule = {
  type: 'string',
  required: true,
  min: 1,
  max: 55,
  pattern: /[\w-]+_[0-9a-zA-Z]+/,
};
export const JobId: MemberRule = {
  type: 'string',
  required: true,
  min: 1,
  max: 55,
  pattern: /import-[0-9a-zA-Z-]+/,
};
export const JobName: MemberRule = {
  type: 'string',
  required: true,
  min: 1,
  max: 128,
  pattern: /[\w\s+=,.@-]+/,
};
export const RoleArn: MemberRule = {
  type: 'string',
  required: true,
  min: 20,
  max: 2048,
  pattern:
    /arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?/,
};
/** ArnType: the ResourceArn of TagResource, UntagResource and ListTagsForResource. */
export const ResourceArn: MemberRule = { ...RoleArn };
export const MaxResults: MemberRule = { type: 'integer', min: 1, max: 60 };
export const PaginationKey: MemberRule = { type: 'string', min: 1, pattern: /[\S]+/ };
export const Username: MemberRule = {
  type: 'string',
  required: true,
  min: 1,
  max: 128,
  pattern: /[\p{L}\p{M}\p{S}\p{N}\p{P}]+/u,
  sensitive: true,
};
export const ClientId: MemberRule = {
  type: 'string',
  required: true,
  min: 1,
  max: 128,
  pattern: /[\w+]+/,
  sensitive: true,
};
export const ClientName: MemberRule = {
  type: 'string',
  min: 1,
  max: 128,
  pattern: /[\w\s+=,.@-]+/,
};
/**
 * PasswordType. The published model says `[\S]+`, yet Cognito takes inner spaces: the service
 * answers with the pattern below, which refuses only leading and trailing whitespace (and an empty
 * password). docs/cognito-behaviour.md, "Password policy and imported users' status".
 */
export const Password: MemberRule = {
  type: 'string',
  required: true,
  max: 256,
  pattern: /^[\S]+.*[\S]+$/,
  sensitive: true,
};
export const SecretHash: MemberRule = {
  type: 'string',
  min: 1,
  max: 128,
  pattern: /[\w+=/]+/,
  sensitive: true,
};
export const StringMap: MemberRule = { type: 'structure' };
export const PasswordHashingAlgorithm: MemberRule = {
  type: 'string',
  enum: ['BCRYPT', 'SCRYPT', 'ARGON2ID', 'PBKDF2_SHA256'],
};
