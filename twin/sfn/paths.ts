/**
 * Reads ASL Reference Paths (`$`, `$.a.b`, `$['a b']`, `$.list[0]`, `$$.Execution.Id`): the
 * subset of JSONPath that Wait's SecondsPath/TimestampPath and Map's ItemsPath accept in AWS.
 * The twin needs them itself where aws-local-stepfunctions gives it no hook: the duration of a
 * Wait and the number of items a Map starts with.
 */
export type PathRead =
  | { ok: true; value: unknown }
  | { ok: false; reason: 'missing' | 'unsupported' };

type Segment = string | number;

/** The segments of a reference path, or undefined when it uses more than plain selection. */
export function parseReferencePath(
  path: string,
): { context: boolean; segments: Segment[] } | undefined {
  const context = path.startsWith('$$');
  let i = context ? 2 : 1;
  if (!path.startsWith('$')) return undefined;
  const segments: Segment[] = [];
  while (i < path.length) {
    const ch = path[i];
    if (ch === '.') {
      const match = /^[^.[\]*?@()'"]+/.exec(path.slice(i + 1));
      if (!match) return undefined;
      segments.push(match[0]);
      i += 1 + match[0].length;
    } else if (ch === '[') {
      const rest = path.slice(i);
      const index = /^\[(\d+)\]/.exec(rest);
      const quoted = /^\[(['"])((?:(?!\1).)*)\1\]/.exec(rest);
      if (index?.[1] !== undefined) {
        segments.push(Number(index[1]));
        i += index[0].length;
      } else if (quoted?.[2] !== undefined) {
        segments.push(quoted[2]);
        i += quoted[0].length;
      } else return undefined;
    } else return undefined;
  }
  return { context, segments };
}

/** Reads `path` from `input` (or from `context` for `$$` paths). */
export function readPath(path: string, input: unknown, context: unknown): PathRead {
  const parsed = parseReferencePath(path);
  if (!parsed) return { ok: false, reason: 'unsupported' };
  let value: unknown = parsed.context ? context : input;
  for (const segment of parsed.segments) {
    if (typeof segment === 'number') {
      if (!Array.isArray(value) || segment >= value.length) return { ok: false, reason: 'missing' };
      value = value[segment];
    } else {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return { ok: false, reason: 'missing' };
      if (!Object.hasOwn(value, segment)) return { ok: false, reason: 'missing' };
      value = (value as Record<string, unknown>)[segment];
    }
  }
  return { ok: true, value };
}
