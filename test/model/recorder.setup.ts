/**
 * The suite-wide model check (a vitest setup file: it runs in every test worker, for every test
 * file). Every answer the twin's Cognito and CloudWatch Logs API gives while the file runs is
 * checked against the service model: a member the model does not have, a wrong type, a missing
 * required member or an error the model does not know fails the test file that drew it. The counts
 * go to the run's summary (recorder.global.ts). Answers hold personal data: only paths and rules
 * are kept, never values.
 */
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';
import { afterAll, expect } from 'vitest';
import type { PublishedResponse } from '../../twin/cognito/server.ts';
import { RESPONSE_CHANNEL, SUMMARY_FILE_ENV } from './names.ts';

const counts: Record<string, number> = {};
const problems: string[] = [];
let pending: PublishedResponse[] = [];
let check: ((answer: PublishedResponse) => string[]) | undefined;
let loading: Promise<void> | undefined;

function record(answer: PublishedResponse): void {
  const name = `${answer.service} ${answer.operation} ${answer.status === 200 ? '200' : 'error'}`;
  counts[name] = (counts[name] ?? 0) + 1;
  for (const problem of check?.(answer) ?? [])
    if (problems.length < 100) problems.push(`${answer.service} ${answer.operation}: ${problem}`);
}

subscribe(RESPONSE_CHANNEL, (message) => {
  const answer = message as PublishedResponse;
  if (check) return record(answer);
  // The model (both SDK clients) loads once the first answer arrives; until then answers wait,
  // copied, since their objects are not the twin's to keep.
  pending.push({ ...answer, body: JSON.parse(JSON.stringify(answer.body)) });
  loading ??= import('./model-check.ts').then((module) => {
    check = module.answerProblems;
    for (const waiting of pending) record(waiting);
    pending = [];
  });
});

afterAll(async () => {
  await loading;
  const file = process.env[SUMMARY_FILE_ENV];
  const checked = Object.values(counts).reduce((n, c) => n + c, 0);
  if (file && checked > 0)
    appendFileSync(
      file,
      `${JSON.stringify({ file: expect.getState().testPath ?? '', counts, problems })}\n`,
    );
  expect(problems, 'answers of the twin that the service model does not allow').toEqual([]);
});
