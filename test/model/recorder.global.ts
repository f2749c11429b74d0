/**
 * The model check's summary (a vitest global setup): before the run, names a file the workers
 * append their counts to (recorder.setup.ts); after it, totals them, writes
 * node_modules/.cache/cognito-import-pipeline/model-check.json and prints one line. A problem
 * already failed its test file; it fails the run here too.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { SUMMARY_FILE_ENV } from './names.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SUMMARY = join(ROOT, 'node_modules', '.cache', 'cognito-import-pipeline', 'model-check.json');
let file = '';

export function setup(): void {
  file = join(tmpdir(), `cognito-import-model-check-${process.pid}-${Date.now()}.jsonl`);
  writeFileSync(file, '');
  process.env[SUMMARY_FILE_ENV] = file;
}

export function teardown(): void {
  const entries = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(
      (line) =>
        JSON.parse(line) as { file: string; counts: Record<string, number>; problems: string[] },
    );
  rmSync(file, { force: true });
  const byOperation: Record<string, number> = {};
  for (const entry of entries)
    for (const [name, count] of Object.entries(entry.counts))
      byOperation[name] = (byOperation[name] ?? 0) + count;
  const answers = Object.values(byOperation).reduce((n, c) => n + c, 0);
  const operations = new Set(
    Object.keys(byOperation).map((name) => name.split(' ').slice(0, 2).join(' ')),
  );
  const problems = entries.flatMap((entry) =>
    entry.problems.map((problem) => `${relative(ROOT, entry.file)}: ${problem}`),
  );
  mkdirSync(join(SUMMARY, '..'), { recursive: true });
  writeFileSync(
    SUMMARY,
    `${JSON.stringify({ checkedAt: new Date().toISOString(), answers, testFiles: entries.length, byOperation, problems }, null, 2)}\n`,
  );
  console.log(
    `model check: ${answers} answers of ${operations.size} operations from ${entries.length} test files checked against the service model, ${problems.length} problems (${relative(ROOT, SUMMARY)})`,
  );
  if (problems.length > 0)
    throw new Error(
      `The model check found answers the service model does not allow:\n${problems.slice(0, 20).join('\n')}`,
    );
}
