/**
 * ARN matching as IAM's ArnLike / ArnEquals do it: the six parts of an ARN
 * (`arn:partition:service:region:account:resource`) are compared separately, each may hold `*`
 * (any run of characters) and `?` (one character), and the resource part may itself hold colons
 * (`log-group:/aws/lambda/f:*`). Case-sensitive.
 */

const parts = (arn: string): string[] | undefined => {
  const split = arn.split(':');
  if (split.length < 6) return undefined;
  return [...split.slice(0, 5), split.slice(5).join(':')];
};

const globCache = new Map<string, RegExp>();

function glob(pattern: string): RegExp {
  let regex = globCache.get(pattern);
  if (!regex) {
    const body = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')))
      .join('');
    regex = new RegExp(`^${body}$`, 's');
    if (globCache.size < 10_000) globCache.set(pattern, regex);
  }
  return regex;
}

export function arnLike(value: string, pattern: string): boolean {
  const actual = parts(value);
  const wanted = parts(pattern);
  if (!actual || !wanted) return false;
  return wanted.every((p, i) => glob(p).test(actual[i] as string));
}
