import Pbac from 'pbac';
import comparators from 'pbac/conditions.js';
import { arnLike } from './arn.ts';

/**
 * IAM policy evaluation for the twin: pbac (an IAM-compatible engine, MIT) decides, with the
 * parts of AWS's evaluation logic it lacks supplied here rather than in a fork.
 *
 * pbac walks the statements (Effect, Action/NotAction, Resource/NotResource, every entry of a
 * Condition must hold) and keeps IAM's order: an explicit deny wins, else an allow is needed,
 * else the request is implicitly denied. What it gets wrong, and how this module makes up for
 * it, each case taken from AWS's documented evaluation logic (the tests name them):
 *
 * - Actions match case-insensitively in IAM; pbac compares them as written. Both sides are
 *   lowercased.
 * - Condition keys are case-insensitive and may hold colons after the service prefix
 *   (`aws:ResourceTag/cognito-import:allowed`); pbac splits a key on ':' and keeps two parts.
 *   Keys are lowercased and their later colons escaped, in the policy and the request alike.
 * - A key the request lacks is absent, not the key's own name (which pbac returns): `Null`,
 *   the `…IfExists` operators and the negated operators (true on a missing key) depend on it.
 *   Request values travel boxed, so absence is told apart from any value.
 * - A negated operator with several values holds when the request matches none of them (pbac
 *   accepts a mismatch with any one); `ForAnyValue:` / `ForAllValues:` follow AWS's rules for
 *   missing and empty keys; several keys under one operator must all hold (pbac reads the first).
 * - `ArnLike` / `ArnEquals` compare the six parts of an ARN separately, the resource part
 *   holding colons of its own; pbac's `*` stops at the first colon.
 *
 * Each (operator, key) of a statement becomes one pbac condition entry whose test is
 * {@link holds}, registered through pbac's documented custom-condition option; the values
 * themselves are compared with pbac's own comparators wherever those are right.
 *
 * Policy variables (`${aws:username}` in a Resource or a value) are not supported: a policy that
 * uses them is refused when compiled, rather than evaluated wrongly.
 */

export type ContextValue = string | string[];

/** One request as IAM evaluates it: the action, the resource's ARN and the request context. */
export interface AccessRequest {
  action: string;
  resource: string;
  /** Condition keys (any case) and their values; booleans and numbers as strings. */
  context?: Record<string, ContextValue>;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
  NotPrincipal?: unknown;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

/** A value of the request context as the compiled conditions receive it. */
class Present {
  readonly value: ContextValue;
  constructor(value: ContextValue) {
    this.value = value;
  }
}

/** What one compiled condition entry tests. */
interface ConditionSpec {
  operator: string;
  values: string[];
}

const list = (value: unknown): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** `aws:ResourceTag/a:b` → `aws:resourcetag/a%3ab`: one colon, after the service prefix. */
export function encodeKey(key: string): string {
  const lower = key.toLowerCase();
  const colon = lower.indexOf(':');
  if (colon === -1) return lower;
  return `${lower.slice(0, colon)}:${lower
    .slice(colon + 1)
    .replace(/%/g, '%25')
    .replace(/:/g, '%3a')}`;
}

function encodeContext(context: Record<string, ContextValue>): Record<string, unknown> {
  const nested: Record<string, Record<string, Present>> = {};
  for (const [key, value] of Object.entries(context)) {
    const encoded = encodeKey(key);
    const colon = encoded.indexOf(':');
    if (colon === -1) continue;
    const prefix = encoded.slice(0, colon);
    nested[prefix] ??= {};
    (nested[prefix] as Record<string, Present>)[encoded.slice(colon + 1)] = new Present(value);
  }
  return nested;
}

const comparatorThis = { conditions: comparators };
const compare = (name: string, value: unknown, expected: unknown): boolean =>
  Boolean(comparators[name]?.call(comparatorThis, value, expected));

const toNumber = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));
/** An IAM date: ISO 8601, or seconds since the epoch. */
const toDate = (text: string) => (/^\d+$/.test(text) ? new Date(Number(text) * 1000) : text);

/** The positive operators, one request value against one policy value. */
const MATCHERS: Record<string, (value: string, expected: string) => boolean> = {
  StringEquals: (v, e) => compare('StringEquals', v, e),
  StringEqualsIgnoreCase: (v, e) => compare('StringEqualsIgnoreCase', v, e),
  StringLike: (v, e) => compare('StringLike', v, e),
  NumericEquals: (v, e) => compare('NumericEquals', toNumber(v), toNumber(e)),
  NumericLessThan: (v, e) => compare('NumericLessThan', toNumber(v), toNumber(e)),
  NumericLessThanEquals: (v, e) => compare('NumericLessThanEquals', toNumber(v), toNumber(e)),
  NumericGreaterThan: (v, e) => compare('NumericGreaterThan', toNumber(v), toNumber(e)),
  NumericGreaterThanEquals: (v, e) => compare('NumericGreaterThanEquals', toNumber(v), toNumber(e)),
  DateEquals: (v, e) => compare('DateEquals', toDate(v), toDate(e)),
  DateLessThan: (v, e) => compare('DateLessThan', toDate(v), toDate(e)),
  DateLessThanEquals: (v, e) => compare('DateLessThanEquals', toDate(v), toDate(e)),
  DateGreaterThan: (v, e) => compare('DateGreaterThan', toDate(v), toDate(e)),
  DateGreaterThanEquals: (v, e) => compare('DateGreaterThanEquals', toDate(v), toDate(e)),
  Bool: (v, e) => v.toLowerCase() === e.toLowerCase() && /^(true|false)$/i.test(v),
  BinaryEquals: (v, e) => v === e,
  IpAddress: (v, e) => compare('IpAddress', v, e),
  ArnEquals: arnLike,
  ArnLike: arnLike,
};

/** Each negated operator and the positive one it negates. */
const NEGATED: Record<string, string> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  NumericNotEquals: 'NumericEquals',
  DateNotEquals: 'DateEquals',
  NotIpAddress: 'IpAddress',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
};

interface ParsedOperator {
  set?: 'ForAnyValue' | 'ForAllValues';
  base: string;
  ifExists: boolean;
  negated: boolean;
}

function parseOperator(operator: string): ParsedOperator {
  let rest = operator;
  let set: ParsedOperator['set'];
  const colon = rest.indexOf(':');
  if (colon !== -1) {
    const qualifier = rest.slice(0, colon);
    if (qualifier !== 'ForAnyValue' && qualifier !== 'ForAllValues')
      throw new Error(`Unknown condition operator qualifier in ${operator}.`);
    set = qualifier;
    rest = rest.slice(colon + 1);
  }
  const ifExists = rest.endsWith('IfExists');
  if (ifExists) rest = rest.slice(0, -'IfExists'.length);
  const negated = rest in NEGATED;
  if (!negated && !(rest in MATCHERS) && rest !== 'Null')
    throw new Error(`Unknown condition operator ${operator}.`);
  if (rest === 'Null' && (set || ifExists))
    throw new Error(`The Null operator takes no qualifier or IfExists: ${operator}.`);
  return { ...(set ? { set } : {}), base: rest, ifExists, negated };
}

/** One request value against the policy's values: any for a positive operator, none for a negated one. */
function matchesOne(op: ParsedOperator, value: string, expected: string[]): boolean {
  const matcher = MATCHERS[op.negated ? (NEGATED[op.base] as string) : op.base] as (
    v: string,
    e: string,
  ) => boolean;
  const any = expected.some((e) => matcher(value, e));
  return op.negated ? !any : any;
}

/**
 * Whether one condition entry holds for the request's value of its key (undefined when the
 * request lacks the key), by AWS's rules:
 * - `Null`: "true" holds when the key is absent, "false" when it is present.
 * - `…IfExists`: an absent key holds.
 * - a single-valued key: a positive operator holds when the value matches any policy value, a
 *   negated one when it matches none; an absent key fails a positive operator and satisfies a
 *   negated one.
 * - `ForAnyValue:`: some request value satisfies the operator; an absent or empty key fails.
 * - `ForAllValues:`: every request value satisfies it; an absent or empty key holds.
 * A list given without a set qualifier is read as `ForAnyValue:`.
 */
export function holds(
  operator: string,
  value: ContextValue | undefined,
  expected: readonly unknown[],
): boolean {
  const op = parseOperator(operator);
  const wanted = expected.map(String);
  if (op.base === 'Null')
    return wanted.some((w) => (w.toLowerCase() === 'true') === (value === undefined));
  if (value === undefined)
    return op.ifExists || (!op.set && op.negated) || op.set === 'ForAllValues';
  const values = Array.isArray(value) ? value : [value];
  if (op.set === 'ForAllValues') return values.every((v) => matchesOne(op, v, wanted));
  if (values.length === 0) return false;
  if (op.set === 'ForAnyValue' || Array.isArray(value))
    return values.some((v) => matchesOne(op, v, wanted));
  return matchesOne(op, values[0] as string, wanted);
}

const conditionName = (n: number) => `twin${n}`;

function checkNoVariables(text: string, where: string): string {
  if (text.includes('${'))
    throw new Error(`${where} uses a policy variable (${text}), which the twin does not evaluate.`);
  return text;
}

/** A statement as pbac evaluates it: arrays throughout, lowercased actions, compiled conditions. */
function compileStatement(statement: PolicyStatement, where: string) {
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny')
    throw new Error(`${where}: Effect must be Allow or Deny.`);
  if ((statement.Action === undefined) === (statement.NotAction === undefined))
    throw new Error(`${where}: a statement names Action or NotAction, exactly one of them.`);
  if ((statement.Resource === undefined) === (statement.NotResource === undefined))
    throw new Error(`${where}: an identity policy statement names Resource or NotResource.`);
  const out: Record<string, unknown> = { Effect: statement.Effect };
  if (statement.Sid !== undefined) out.Sid = statement.Sid;
  for (const field of ['Action', 'NotAction'] as const)
    if (statement[field] !== undefined)
      out[field] = list(statement[field]).map((a) => String(a).toLowerCase());
  for (const field of ['Resource', 'NotResource'] as const)
    if (statement[field] !== undefined)
      out[field] = list(statement[field]).map((r) => checkNoVariables(String(r), where));
  let entries = 0;
  if (statement.Condition !== undefined) {
    const condition: Record<string, Record<string, [ConditionSpec]>> = {};
    for (const [operator, block] of Object.entries(statement.Condition)) {
      parseOperator(operator);
      for (const [key, values] of Object.entries(block ?? {})) {
        const expected = list(values).map((v) => checkNoVariables(String(v), where));
        condition[conditionName(entries++)] = {
          [encodeKey(key)]: [{ operator, values: expected }],
        };
      }
    }
    out.Condition = condition;
  }
  return { statement: out, entries };
}

/** The condition test pbac calls for every compiled entry: see {@link holds}. */
function compiledCondition(found: unknown, spec: unknown): boolean {
  const { operator, values } = spec as ConditionSpec;
  return holds(operator, found instanceof Present ? found.value : undefined, values);
}

/** The identity policies of one principal, compiled once and evaluated per request. */
export class PolicySet {
  private readonly engine: Pbac;

  /**
   * @throws Error naming the policy and statement when a document is malformed or uses what the
   *   twin does not evaluate (an unknown operator, a policy variable).
   */
  constructor(documents: { name: string; document: PolicyDocument }[]) {
    let most = 0;
    const compiled = documents.map(({ name, document }) => ({
      Version: document.Version ?? '2012-10-17',
      Statement: list(document.Statement).map((statement, i) => {
        const where = `policy ${name}, statement ${(statement as PolicyStatement).Sid ?? i}`;
        const { statement: out, entries } = compileStatement(statement as PolicyStatement, where);
        most = Math.max(most, entries);
        return out;
      }),
    }));
    const conditions: Record<string, (value: unknown, spec: unknown) => boolean> = {};
    for (let n = 0; n < most; n++) conditions[conditionName(n)] = compiledCondition;
    this.engine = new Pbac(compiled, { conditions });
  }

  decide(request: AccessRequest): Decision {
    const query = {
      action: request.action.toLowerCase(),
      resource: request.resource,
      principal: {},
      context: encodeContext(request.context ?? {}),
    };
    if (this.engine.evaluate(query)) return 'allow';
    return this.engine.filterPoliciesBy({ ...query, effect: 'Deny' })
      ? 'explicit-deny'
      : 'implicit-deny';
  }
}
