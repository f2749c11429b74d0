/*
 * The `cognito:groups` column: the pipeline's own, never Cognito's. Its value lists the groups a
 * user is added to after the import, names separated by `;`. The part writer leaves the column
 * out, so Cognito never sees it.
 *
 * The list is read from the value's logical text (the dialect's `\,` already read as a comma):
 * `\;` is a `;` inside a name, any other backslash is itself, as the dialect treats `\` before
 * anything but a comma. So a name cannot end in a backslash unless it is the last of the list,
 * just as a value cannot end in one before a comma. Nothing is trimmed: a space is not allowed
 * in a group name, so `a; b` names ` b`, which is reported, never silently changed. Empty
 * segments (`a;;b`, a trailing `;`) name no group and are passed over; a name given twice in
 * a row counts once.
 */

/** The header name of the column. */
export const GROUPS_COLUMN = 'cognito:groups';

/** Between two names of the list. */
export const GROUPS_SEPARATOR = ';';

/** Cognito's longest group name, counted as the service counts (UTF-16 code units). */
export const MAX_GROUP_NAME_LENGTH = 128;

/**
 * The groups one user can be in (docs/cognito-behaviour.md, "Limits and quotas"): a row naming
 * more could never be imported whole, so it is the row's error rather than failed memberships.
 */
export const MAX_GROUPS_PER_USER = 100;

/** Cognito's GroupName pattern, matched whole: letters, marks, symbols, numbers, punctuation. */
const GROUP_NAME = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$/u;

/**
 * The names of a `cognito:groups` value, in order, each once.
 *
 * @param text - the value's logical text (see {@link fieldText})
 * @returns the names; empty for an empty value or one of separators only
 */
export function splitGroupNames(text: string): string[] {
  if (text === '') return [];
  const names: string[] = [];
  const add = (name: string) => {
    if (name !== '' && !names.includes(name)) names.push(name);
  };
  if (!text.includes('\\;')) {
    for (const name of text.split(GROUPS_SEPARATOR)) add(name);
    return names;
  }
  let name = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && text[i + 1] === GROUPS_SEPARATOR) {
      name += GROUPS_SEPARATOR;
      i++;
    } else if (c === GROUPS_SEPARATOR) {
      add(name);
      name = '';
    } else {
      name += c;
    }
  }
  add(name);
  return names;
}

/**
 * Writes names as one list that {@link splitGroupNames} reads back: `;` inside a name as `\;`.
 * A name ending in a backslash reads back only as the last of the list, where the column itself
 * can only have it.
 */
export function joinGroupNames(names: readonly string[]): string {
  return names.map((name) => name.replaceAll(GROUPS_SEPARATOR, `\\${GROUPS_SEPARATOR}`)).join(';');
}

/** Whether Cognito accepts `name` as a GroupName: 1 to 128 characters of the allowed classes. */
export function isGroupName(name: string): boolean {
  return name.length >= 1 && name.length <= MAX_GROUP_NAME_LENGTH && GROUP_NAME.test(name);
}

const COLUMN_BYTES = Buffer.from(GROUPS_COLUMN, 'utf8');

/**
 * Whether the header, the first line that is not blank, mentions `cognito:groups`: true or false
 * once that line is whole in `head` (or `atEnd`), else undefined (read more).
 */
function headerMentions(head: Buffer, atEnd: boolean): boolean | undefined {
  let s = 0;
  while (s < head.length) {
    let lf = head.indexOf(10, s);
    if (lf < 0) {
      if (!atEnd) return undefined;
      lf = head.length;
    }
    for (let k = s; k < lf; k++) {
      const c = head[k];
      if (c !== 0x20 && c !== 0x09 && c !== 0x0d) {
        return head.subarray(s, lf).includes(COLUMN_BYTES);
      }
    }
    s = lf + 1;
  }
  return atEnd ? false : undefined;
}

/**
 * Reads the start of a file until its header is whole, to tell whether the file may have a
 * `cognito:groups` column before validating it: the pool's groups need listing only then. The
 * answer errs one way only: true when the header cannot be found in `maxBytes` (or a data row
 * happens to hold the text), never false for a file whose header has the column.
 *
 * @param source - the file's chunks, as `validateCsv` takes them (read once)
 * @param maxBytes - most bytes held before answering true
 * @returns the answer, and the same bytes to validate (what was read first, then the rest)
 */
export async function sniffGroupsColumn(
  source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  maxBytes = 1 << 20,
): Promise<{ mentions: boolean; source: AsyncIterable<Uint8Array> }> {
  const iterator =
    Symbol.asyncIterator in source
      ? source[Symbol.asyncIterator]()
      : (source as Iterable<Uint8Array | string>)[Symbol.iterator]();
  const head: Buffer[] = [];
  let held = 0;
  let done = false;
  let mentions: boolean | undefined;
  while (mentions === undefined) {
    const next = await iterator.next();
    if (next.done) done = true;
    else {
      const chunk = next.value;
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
      head.push(bytes);
      held += bytes.length;
    }
    mentions = headerMentions(Buffer.concat(head), done) ?? (held >= maxBytes ? true : undefined);
  }
  async function* rest(): AsyncGenerator<Uint8Array> {
    try {
      yield* head;
      while (!done) {
        const next = await iterator.next();
        if (next.done) return;
        const chunk = next.value;
        yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      }
    } finally {
      await iterator.return?.();
    }
  }
  return { mentions, source: rest() };
}
