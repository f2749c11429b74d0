/**
 * The size limits of the bad-input corpus, through the workflow. Real files where that stays
 * fast: a 500,001-row file (split into parts of 500,000 and 1 rows, one job each) and a
 * 100,000,001-byte file (refused from its size alone, never read). Where the point is the rule,
 * not the size, the limits are configured smaller (the settings serverless.yml exposes):
 * PART_MAX_BYTES splits by bytes, MAX_OBJECT_BYTES refuses a file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Fixture, HEADER, startFixture, users } from './fixture.ts';

let f: Fixture | undefined;
afterEach(async () => {
  await f?.stop();
  f = undefined;
});

/** Every setting spelled out: the functions' environment outlives one twin in a process. */
const SETTINGS = {
  MAX_OBJECT_BYTES: '1000000000',
  PART_MAX_BYTES: '100000000',
  PART_MAX_ROWS: '500000',
};

const partFiles = (fx: Fixture, run: string) => {
  const dir = join(fx.twin.s3.bucketDir(fx.twin.bucket), 'staging', run);
  return [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    .map((n) => join(dir, `part-${String(n).padStart(4, '0')}.csv`))
    .flatMap((path) => {
      try {
        return [readFileSync(path)];
      } catch {
        return [];
      }
    });
};
const lines = (data: Buffer) => data.toString('utf8').split('\n').filter(Boolean).length;

describe('the file limits', () => {
  it('splits a real file of 500,001 users into parts of 500,000 and 1, one import job each', async () => {
    f = await startFixture({ functionEnv: SETTINGS, cognito: { pace: { pendingMs: 20 } } });
    const fx = f;
    const pool = await fx.createPool();
    const rows = Array.from({ length: 500_001 }, (_, i) => `u${i},u${i}@example.com,true`);
    // Both jobs fail at once (an injected fault): the point is the split, not 500,001 imports.
    fx.twin.cognito.faults.addJobFault({ kind: 'fail', message: 'Injected: the split is tested.' });
    fx.twin.cognito.faults.addJobFault({ kind: 'fail', message: 'Injected: the split is tested.' });
    const { outcome, execution } = await fx.finish(
      await fx.drop(pool, 'half-a-million.csv', `${HEADER}\n${rows.join('\n')}\n`),
    );
    expect(outcome?.validation).toMatchObject({ rows: 500_001, invalidRows: 0 });
    expect(outcome?.jobs.map((j) => j.jobName)).toEqual([
      `${execution.name}-part-1`,
      `${execution.name}-part-2`,
    ]);
    expect(partFiles(fx, execution.name).map(lines)).toEqual([500_001, 2]);
    expect(await fx.violations()).toEqual([]);
  }, 60_000);

  it('refuses a real file of 100,000,001 bytes from its size, without reading it', async () => {
    f = await startFixture({ functionEnv: { ...SETTINGS, MAX_OBJECT_BYTES: '100000000' } });
    const fx = f;
    const pool = await fx.createPool();
    const body = Buffer.alloc(100_000_001, 0x61);
    body.write(`${HEADER}\n`);
    const { outcome, states, execution } = await fx.finish(await fx.drop(pool, 'huge.csv', body));
    expect(execution.error).toBe('CsvRejected');
    expect(states).not.toContain('ValidateCsv');
    expect(outcome?.reason).toBe(
      'The file is 100,000,001 bytes, over the 100,000,000 this pipeline accepts.',
    );
    expect(await fx.jobs(pool)).toEqual([]);
    expect(await fx.violations()).toEqual([]);
  }, 60_000);

  it('splits by bytes (PART_MAX_BYTES) so no part passes the limit, and imports every part', async () => {
    f = await startFixture({
      functionEnv: { ...SETTINGS, PART_MAX_BYTES: '200' },
      cognito: { pace: { pendingMs: 20 } },
    });
    const fx = f;
    const pool = await fx.createPool();
    const { outcome, execution } = await fx.finish(
      await fx.drop(pool, 'by-bytes.csv', `${HEADER}\n${users(12).join('\n')}\n`),
    );
    const parts = partFiles(fx, execution.name);
    expect(parts.length).toBeGreaterThan(2);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(200);
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', totals: { imported: 12 } });
    expect(outcome?.jobs).toHaveLength(parts.length);
    expect(await fx.violations()).toEqual([]);
  });
});
