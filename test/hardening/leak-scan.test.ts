/**
 * The suite-wide leak scan, as a test: every log line every other test file produced in this run
 * (capture.setup.ts appends them to the file capture.global.ts named) is searched for a
 * pre-signed URL, an email address or a phone number. It runs in its own project, after all the
 * others (vitest.config.ts). leaks.test.ts proves the detector and the capture can fail.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CAPTURE_FILE_ENV, type CapturedLine, findLeaks } from './leaks.ts';

describe('the leak scan of this run', () => {
  it('finds no pre-signed URL, email address or phone number in any log line of the other tests', () => {
    const file = process.env[CAPTURE_FILE_ENV];
    expect(file, 'the capture was set up (test/hardening/capture.global.ts)').toBeDefined();
    expect(existsSync(file as string)).toBe(true);
    const lines: CapturedLine[] = readFileSync(file as string, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((text) => JSON.parse(text) as CapturedLine);
    const leaks = findLeaks(lines).map((l) => `${l.kind} in ${l.source}: ...${l.excerpt}...`);
    expect(leaks, `${leaks.length} leaks in ${lines.length} log lines`).toEqual([]);
  });
});
