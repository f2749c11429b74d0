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
