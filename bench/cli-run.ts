/**
 * Times `cognito-import run` on a generated file of valid users (500,000 by default), as a user
 * runs it: a child process, the whole local twin, from the PUT to the outcome.
 * Run: node bench/cli-run.ts [rows]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeUsersFile } from './users-file.ts';

const rows = Number(process.argv[2] ?? 500_000);
const work = mkdtempSync(join(tmpdir(), 'cli-bench-'));
const file = join(work, 'users.csv');
writeUsersFile(file, rows, true);

const started = performance.now();
const result = spawnSync(
  process.execPath,
  ['bin/cognito-import.ts', 'run', file, '--data-dir', join(work, 'data'), '--json'],
  { encoding: 'utf8', maxBuffer: 16 << 20 },
);
const seconds = (performance.now() - started) / 1000;
rmSync(work, { recursive: true, force: true });
const outcome = JSON.parse(result.stdout || '{}') as {
  status?: string;
  totals?: { imported: number };
};
console.log(`cognito-import run: ${rows.toLocaleString('en')} rows`);
console.log(
  `  exit ${result.status}, ${outcome.status}, ${outcome.totals?.imported?.toLocaleString('en')} imported, ${seconds.toFixed(1)} s wall`,
);
if (result.status !== 0) process.exitCode = 1;
