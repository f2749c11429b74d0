import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);

describe("the twin's SQLite loader", () => {
  it("drops only node:sqlite's experimental warning, and leaves the process's warning listeners as they were", async () => {
    // A fresh process: node:sqlite warns on its first load only.
    const script = `
      import { loadSqlite } from './twin/sqlite.ts';
      const before = process.listeners('warning');
      const { DatabaseSync } = loadSqlite();
      new DatabaseSync(':memory:').close();
      const after = process.listeners('warning');
      console.log(JSON.stringify({ same: before.length === after.length && before.every((l, i) => l === after[i]) }));
      process.emitWarning('another experiment', 'ExperimentalWarning');
    `;
    const { stdout, stderr } = await exec(process.execPath, ['--input-type=module', '-e', script]);
    expect(JSON.parse(stdout)).toEqual({ same: true });
    expect(stderr).not.toMatch(/SQLite/);
    expect(stderr).toMatch(/ExperimentalWarning: another experiment/);
  });
});
