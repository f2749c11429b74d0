import * as logsSchemas from '@aws-sdk/client-cloudwatch-logs';
import * as cognitoSchemas from '@aws-sdk/client-cognito-identity-provider';
import { ServiceError } from './errors.ts';

/**
 * The published service models of the two services this twin answers, read from the schemas the
 * AWS SDK for JavaScript v3 generates from them (`<Operation>$`, `<Shape>$` exports of
 * `@aws-sdk/client-cognito-identity-provider` and `@aws-sdk/client-cloudwatch-logs`). Those
 * schemas carry each structure's members, their types and which are required; not lengths,
 * patterns or enums, which the twin states itself (constraints.ts).
 *
 * The twin uses the model to know which request members exist (so it never mistakes an unknown
 * member for a setting to echo), to refuse wrong types and missing required members at any depth,
 * and the test suite uses it to check every answer the twin gives (docs/cognito-behaviour.md).
 */
export type ServiceName = 'cognito-idp' | 'logs';

export type ModelShape =
  | { type: 'string' | 'number' | 'boolean' | 'timestamp' | 'blob' | 'document' }
  | { type: 'list'; member: () => ModelShape }
  | { type: 'map'; value: () => ModelShape }
  | {
      type: 'structure';
      name: string;
      /** Every member, in model order; each resolved on first use (shapes can be recursive). */
      members: ReadonlyMap<string, () => ModelShape>;
      required: ReadonlySet<string>;
      union: boolean;
    };

export type StructureShape = Extract<ModelShape, { type: 'structure' }>;

const EXPORTS: Record<ServiceName, Record<string, unknown>> = {
  'cognito-idp': cognitoSchemas as unknown as Record<string, unknown>,
  logs: logsSchemas as unknown as Record<string, unknown>,
};

// The SDK's schema encoding (see @smithy/core's schema sentinels): numbers for simple types,
// with 64 (list of) and 128 (map of) as modifiers; arrays for named shapes, whose first element
// says the kind; [schema, traits] pairs for members that carry traits; thunks for references.
const SIMPLE: Record<number, ModelShape> = {
  0: { type: 'string' },
  1: { type: 'number' },
  2: { type: 'boolean' },
  4: { type: 'timestamp' },
  5: { type: 'timestamp' },
  6: { type: 'timestamp' },
  7: { type: 'timestamp' },
  15: { type: 'document' },
  17: { type: 'number' },
  19: { type: 'number' },
  21: { type: 'blob' },
  42: { type: 'blob' },
};
const LIST_OF = 0b0100_0000;
const MAP_OF = 0b1000_0000;
const KIND = { simple: 0, list: 1, map: 2, structure: 3, error: -3, union: 4, operation: 9 };

const resolved = new WeakMap<object, ModelShape>();

/** Turns one schema reference of the SDK's encoding into a shape. */
export function shapeOf(ref: unknown): ModelShape {
  if (typeof ref === 'function') return shapeOf(ref());
  if (typeof ref === 'number') {
    if (ref >= MAP_OF) {
      const value = ref & ~MAP_OF;
      return { type: 'map', value: () => shapeOf(value) };
    }
    if (ref >= LIST_OF) {
      const member = ref & ~LIST_OF;
      return { type: 'list', member: () => shapeOf(member) };
    }
    const simple = SIMPLE[ref];
    if (simple) return simple;
    throw new Error(`service model: unknown simple schema ${ref}`);
  }
  if (ref === 'unit')
    return {
      type: 'structure',
      name: 'Unit',
      members: new Map(),
      required: new Set(),
      union: false,
    };
  if (!Array.isArray(ref))
    throw new Error('service model: a schema is neither a number nor a list');
  const cached = resolved.get(ref);
  if (cached) return cached;
  let shape: ModelShape;
  if (ref.length === 2) shape = shapeOf(ref[0]);
  else
    switch (ref[0]) {
      case KIND.simple:
        shape = shapeOf(ref[4]);
        break;
      case KIND.list:
        shape = { type: 'list', member: () => shapeOf(ref[4]) };
        break;
      case KIND.map:
        shape = { type: 'map', value: () => shapeOf(ref[5]) };
        break;
      case KIND.structure:
      case KIND.error:
      case KIND.union: {
        const names = ref[4] as string[];
        const schemas = ref[5] as unknown[];
        // The first N members are the required ones (N is the optional seventh element).
        const requiredCount = typeof ref[6] === 'number' ? ref[6] : 0;
        shape = {
          type: 'structure',
          name: String(ref[2]),
          members: new Map(names.map((name, i) => [name, () => shapeOf(schemas[i])])),
          required: new Set(names.slice(0, requiredCount)),
          union: ref[0] === KIND.union,
        };
        break;
      }
      default:
        throw new Error(`service model: unexpected schema kind ${String(ref[0])}`);
    }
  resolved.set(ref, shape);
  return shape;
}

/** The input and output structures of an operation, or nothing for an operation the model lacks. */
export function operationModel(
  service: ServiceName,
  operation: string,
): { input: StructureShape; output: StructureShape } | undefined {
  const schema = EXPORTS[service][`${operation}$`];
  if (!Array.isArray(schema) || schema[0] !== KIND.operation) return undefined;
  const input = shapeOf(schema[4]);
  const output = shapeOf(schema[5]);
  if (input.type !== 'structure' || output.type !== 'structure') return undefined;
  return { input, output };
}

/** An operation's input structure. @throws Error when the model has no such operation */
export function requestModel(service: ServiceName, operation: string): StructureShape {
  const model = operationModel(service, operation);
  if (!model) throw new Error(`service model: no operation ${operation}`);
  return model.input;
}

/** A named structure of the model (`UserPoolType`, `UserPoolClientType`, …). */
export function structureModel(service: ServiceName, name: string): StructureShape {
  const schema = EXPORTS[service][`${name}$`];
  const shape = Array.isArray(schema) ? shapeOf(schema) : undefined;
  if (shape?.type !== 'structure') throw new Error(`service model: no structure ${name}`);
  return shape;
}

/** The error shape for an error code (`InvalidParameterException`), if the model has one. */
export function errorModel(service: ServiceName, code: string): StructureShape | undefined {
  const schema = EXPORTS[service][`${code}$`];
  if (!Array.isArray(schema) || schema[0] !== KIND.error) return undefined;
  return shapeOf(schema) as StructureShape;
}

/**
 * The members of a request that both the request and a stored resource's shape have, less the
 * ones the twin acts on itself: what it keeps and shows back unchanged. A member the model does not
 * know is never among them, whatever the request holds.
 */
export function echoedMembers(
  input: Record<string, unknown>,
  request: StructureShape,
  resource: StructureShape,
  actedOn: ReadonlySet<string>,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(input).filter(
      ([name, value]) =>
        value !== undefined &&
        value !== null &&
        request.members.has(name) &&
        resource.members.has(name) &&
        !actedOn.has(name),
    ),
  );
}

const lowerFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function typeMatches(shape: ModelShape, value: unknown): boolean {
  switch (shape.type) {
    case 'string':
    case 'blob':
      return typeof value === 'string';
    case 'number':
    case 'timestamp':
      // JSON 1.1 sends timestamps as epoch seconds.
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'document':
      return true;
    case 'list':
      return Array.isArray(value);
    case 'map':
    case 'structure':
      return isPlainObject(value);
  }
}

/**
 * Checks a request against its input structure as the service's deserializer and validator do:
 * a value of the wrong type anywhere is a SerializationException; a required member missing at
 * any depth is one line of an InvalidParameterException. Members the model does not know are
 * ignored, as the service ignores them.
 *
 * @throws ServiceError SerializationException or InvalidParameterException
 */
export function checkInput(input: Record<string, unknown>, shape: StructureShape): void {
  const missing: string[] = [];
  const walk = (value: unknown, current: ModelShape, path: string) => {
    if (value === undefined || value === null) return;
    if (!typeMatches(current, value))
      throw new ServiceError(
        'SerializationException',
        `Unexpected value type for '${path}': expected ${current.type}`,
      );
    if (current.type === 'list')
      for (const [i, item] of (value as unknown[]).entries())
        walk(item, current.member(), `${path}.${i + 1}.member`);
    else if (current.type === 'map')
      for (const [key, item] of Object.entries(value as Record<string, unknown>))
        walk(item, current.value(), `${path}.${key}`);
    else if (current.type === 'structure') {
      const object = value as Record<string, unknown>;
      for (const [name, member] of current.members) {
        const memberPath = path ? `${path}.${lowerFirst(name)}` : lowerFirst(name);
        const item = object[name];
        if ((item === undefined || item === null) && current.required.has(name))
          missing.push(
            `Value null at '${memberPath}' failed to satisfy constraint: Member must not be null`,
          );
        walk(item, member(), memberPath);
      }
    }
  };
  walk(input, shape, '');
  if (missing.length > 0) {
    const count =
      missing.length === 1 ? '1 validation error' : `${missing.length} validation errors`;
    throw new ServiceError('InvalidParameterException', `${count} detected: ${missing.join('; ')}`);
  }
}

/**
 * What is wrong with an answer for the output structure it claims to be: a member the model does
 * not have, a value of the wrong type, a required member missing, a union with other than one
 * member set. Each problem names the path and the rule, never the value (answers hold personal
 * data).
 */
export function outputProblems(value: unknown, shape: ModelShape, path = '$'): string[] {
  const problems: string[] = [];
  const walk = (item: unknown, current: ModelShape, at: string) => {
    if (item === null) {
      problems.push(`${at}: null where the model has a ${current.type}`);
      return;
    }
    if (!typeMatches(current, item)) {
      const actual = Array.isArray(item) ? 'array' : typeof item;
      problems.push(`${at}: a ${actual} where the model has a ${current.type}`);
      return;
    }
    if (current.type === 'list')
      for (const [i, entry] of (item as unknown[]).entries())
        walk(entry, current.member(), `${at}[${i}]`);
    else if (current.type === 'map')
      for (const [key, entry] of Object.entries(item as Record<string, unknown>))
        walk(entry, current.value(), `${at}.${key}`);
    else if (current.type === 'structure') {
      const object = item as Record<string, unknown>;
      for (const [name, entry] of Object.entries(object)) {
        const member = current.members.get(name);
        if (!member) problems.push(`${at}.${name}: not a member of ${current.name}`);
        else if (entry !== undefined) walk(entry, member(), `${at}.${name}`);
      }
      for (const name of current.required)
        if (object[name] === undefined)
          problems.push(`${at}.${name}: required by ${current.name} but missing`);
      if (current.union && Object.values(object).filter((v) => v !== undefined).length !== 1)
        problems.push(`${at}: a union of ${current.name} must have exactly one member set`);
    }
  };
  walk(value, shape, path);
  return problems;
}
