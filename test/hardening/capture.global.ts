/**
 * Suite-wide leak scan (a vitest global setup): before the run, names a capture file for the
 * workers (capture.setup.ts appends every log line to it), which the leak-scan project's test
 * (leak-scan.test.ts) reads after every other project. After the run, it writes the figures to
 * node_modules/.cache/cognito-import-pipeline/leak-scan.json, and still fails the run on a leak
 * when the run left that test out (a single file, say). It also totals the invariant checks the
 * hardening fixtures print (invariants.json beside it).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CAPTURE_FILE_ENV, type CapturedLine, findLeaks } from './leaks.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SUMMARY = join(ROOT, 'node_modules', '.cache', 'cognito-import-pipeline', 'leak-scan.json');
const INVARIANTS_SUMMARY = join(SUMMARY, '..', 'invariants.json');
const INVARIANTS =
  /^invariants: checked \d+ times, last over (\d+) executions and (\d+) import jobs in \d+ pools: (\d+) problems/;
let file = '';

export function setup(): void {
  file = join(tmpdir(), `cognito-import-leak-scan-${process.pid}-${Date.now()}.jsonl`);
  writeFileSync(file, '');
  process.env[CAPTURE_FILE_ENV] = file;
}

export function teardown(): void {
  const lines: (CapturedLine & { file?: string })[] = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((text) => JSON.parse(text));
  rmSync(file, { force: true });
  const leaks = findLeaks(lines);
  const bySource: Record<string, number> = {};
  for (const { source } of lines) bySource[source] = (bySource[source] ?? 0) + 1;
  const files = new Set(lines.map((l) => l.file).filter(Boolean));
  const summary = {
    scannedAt: new Date().toISOString(),
    lines: lines.length,
    testFiles: files.size,
    bySource,
    leaks: leaks.length,
  };
  mkdirSync(join(SUMMARY, '..'), { recursive: true });
  writeFileSync(SUMMARY, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(
    `leak scan: ${lines.length} log lines from ${files.size} test files scanned, ${leaks.length} leaks (${relative(ROOT, SUMMARY)})`,
  );
  // The hardening fixtures print what their last invariant check covered (fixture.ts, stop()).
  const totals = { fixtures: 0, executions: 0, jobs: 0, problems: 0 };
  for (const { line } of lines) {
    const m = INVARIANTS.exec(line);
    if (!m) continue;
    totals.fixtures++;
    totals.executions += Number(m[1]);
    totals.jobs += Number(m[2]);
    totals.problems += Number(m[3]);
  }
  if (totals.fixtures > 0) {
    writeFileSync(INVARIANTS_SUMMARY, `${JSON.stringify(totals, null, 2)}\n`);
    console.log(
      `invariants: ${totals.executions} executions and ${totals.jobs} import jobs checked by ${totals.fixtures} hardening twins, ${totals.problems} outcomes lost or jobs left active (${relative(ROOT, INVARIANTS_SUMMARY)})`,
    );
  }
  if (leaks.length > 0)
    throw new Error(
      `The leak scan found ${leaks.length} pre-signed URLs, email addresses or phone numbers in log lines:\n${leaks
        .slice(0, 10)
        .map((l) => `  ${l.kind} in ${l.source}: ...${l.excerpt}...`)
        .join('\n')}`,
    );
}
