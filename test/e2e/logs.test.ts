/**
 * `cognito-import logs` as a user runs it, in a child process, after `cognito-import run` on the
 * same data folder: the functions' lines are in the twin's CloudWatch Logs, not on the run's
 * output.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const execute = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'cognito-import.ts');

async function cli(args: string[]) {
  try {
    const { stdout, stderr } = await execute(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dataDir: string;
let run: string;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cli-logs-'));
  const imported = await cli([
    'run',
    'examples/users-with-errors.csv',
    '--invalid-rows',
    'skip',
    '--data-dir',
    dataDir,
    '--json',
  ]);
  // The run's output is its outcome alone: the functions' lines went to their log groups.
  run = JSON.parse(imported.stdout).run;
}, 90_000);
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('cognito-import logs', () => {
  it("prints a run's lines as JSON objects, each with the run's name", async () => {
    const { code, stdout } = await cli(['logs', '--data-dir', dataDir, '--run', run, '--json']);
    expect(code).toBe(0);
    const records = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records.length).toBeGreaterThan(8);
    expect(records.every((r) => r.run === run)).toBe(true);
    expect(records.map((r) => r.message).filter(Boolean)).toEqual(
      expect.arrayContaining(['started execution', 'validated', 'outcome']),
    );
  });

  it('prints a readable line per record, metrics included', async () => {
    const { code, stdout } = await cli(['logs', '--data-dir', dataDir]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/validateCsv\s+INFO\s+validated {2}run=\S+ rows=10 invalidRows=7/);
    expect(stdout).toMatch(/reportOutcome\s+METRIC Runs=1 run=\S+ status=PARTIAL/);
  });

  it('says so when the twin has no function logs yet, and documents itself', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'cli-logs-empty-'));
    try {
      const { code, stderr } = await cli(['logs', '--data-dir', empty]);
      expect(code).toBe(0);
      expect(stderr).toMatch(/No function log lines in the local twin/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    const { code, stdout } = await cli(['logs', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--run NAME/);
  });
});
