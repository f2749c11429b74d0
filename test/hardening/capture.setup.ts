/**
 * Suite-wide log capture (a vitest setup file: it runs in every test worker). Every line the
 * functions and the twin log while a test file runs is appended to the run's capture file, which
 * capture.global.ts scans for leaks once every test has run.
 */
import { appendFileSync } from 'node:fs';
import { afterAll, expect } from 'vitest';
import { CAPTURE_FILE_ENV, type CapturedLine, startCapture, suiteCapture } from './leaks.ts';

const file = process.env[CAPTURE_FILE_ENV];
if (file) {
  let buffer: string[] = [];
  const flush = () => {
    if (buffer.length === 0) return;
    appendFileSync(file, `${buffer.join('\n')}\n`);
    buffer = [];
  };
  const testFile = () => expect.getState().testPath ?? '';
  startCapture((entry: CapturedLine) => {
    if (suiteCapture.paused) return;
    buffer.push(JSON.stringify({ ...entry, file: testFile() }));
    if (buffer.length >= 2_000) flush();
  });
  afterAll(flush);
}
