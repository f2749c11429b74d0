/**
 * The suite-wide least-privilege check (a vitest setup file: it runs in every test worker, for
 * every test file). Every decision the twin's IAM takes for a function's role while the file
 * runs is recorded: a denial the file did not declare (denials.ts) fails it, and what was
 * allowed goes to the run's summary (recorder.global.ts), which checks that every action the
 * roles grant was used.
 */
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';
import { afterAll, expect } from 'vitest';
import { isExpectedDenial } from './denials.ts';
import { DECISIONS_FILE_ENV, type FileDecisions, IAM_DECISION_CHANNEL } from './names.ts';

interface Decision {
  role: string;
  action: string;
  resource: string;
  decision: string;
}

const allowed: Record<string, number> = {};
const denied: string[] = [];

subscribe(IAM_DECISION_CHANNEL, (message) => {
  const d = message as Decision;
  if (d.decision === 'allow') {
    const key = `${d.role} ${d.action}`;
    allowed[key] = (allowed[key] ?? 0) + 1;
  } else if (denied.length < 50) denied.push(`${d.role} ${d.action} ${d.resource}`);
});

afterAll(() => {
  const file = process.env[DECISIONS_FILE_ENV];
  if (file)
    appendFileSync(
      file,
      `${JSON.stringify({ file: expect.getState().testPath ?? '', allowed, denied } satisfies FileDecisions)}\n`,
    );
  expect(
    denied.filter((d) => !isExpectedDenial(d)),
    'calls the packaged roles refused, which this test file did not expect (test/iam/denials.ts)',
  ).toEqual([]);
});
