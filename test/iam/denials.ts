/**
 * Denials a test file causes on purpose (a pool the pipeline may not use, a permission a test
 * takes away): the suite-wide check (recorder.setup.ts) fails a test file for any other denial,
 * so every call of every other run is shown to be allowed by the packaged roles.
 */

const expected: { pattern: RegExp; why: string }[] = [];

/**
 * Declares, for the calling test file, the denials it causes on purpose: `pattern` is matched
 * against `<role> <action> <resource>`.
 */
export function expectDenials(pattern: RegExp, why: string): void {
  expected.push({ pattern, why });
}

export function isExpectedDenial(denial: string): boolean {
  return expected.some(({ pattern }) => pattern.test(denial));
}
