/**
 * Load: 20 executions started at once on the twin (the whole workflow, four pools, one import job
 * at a time per account). All must end with their outcomes, the twin must keep answering while
 * they run (probe requests to each service), and its API latency is reported: p50 and p99 of
 * every request the twins served (their onRequest timings), and of the probes as a client saw
 * them. `npm run test:load` runs this file alone; LOAD_EXECUTIONS and LOAD_USERS change the load.
 * The figures go to node_modules/.cache/cognito-import-pipeline/load.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListUserPoolsCommand } from '@aws-sdk/client-cognito-identity-provider';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestEntry } from '../../src/local/twin.ts';
import { csv, type Ended, type Fixture, HEADER, startFixture, users } from './fixture.ts';

const EXECUTIONS = Number(process.env.LOAD_EXECUTIONS ?? 20);
const USERS = Number(process.env.LOAD_USERS ?? 50);
const POOLS = 4;

const requests: RequestEntry[] = [];
const probes: { service: string; ms: number; ok: boolean }[] = [];
let f: Fixture;
let ended: Ended[] = [];
let wallMs = 0;

/** The q-quantile (0..1) of some numbers, nearest rank. */
function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  ] as number;
}
const ms = (n: number) => Math.round(n * 10) / 10;

beforeAll(async () => {
  f = await startFixture({
    waitScale: 0.002,
    cognito: { pace: { pendingMs: 20 } },
    onRequest: (entry) => requests.push(entry),
  });
  const pools = await Promise.all(Array.from({ length: POOLS }, () => f.createPool()));
  const config = {
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  };
  const sfn = new SFNClient({ ...config, endpoint: f.twin.sfn.endpoint });
  // The probes: one request to each service every 25 ms while the load runs.
  let probing = true;
  const probe = async (service: string, send: () => Promise<unknown>) => {
    while (probing) {
      const started = performance.now();
      let ok = true;
      try {
        await send();
      } catch {
        ok = false;
      }
      probes.push({ service, ms: performance.now() - started, ok });
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const probing$ = Promise.all([
    probe('cognito', () => f.cognito.send(new ListUserPoolsCommand({ MaxResults: 10 }))),
    probe('s3', () => f.s3.send(new ListObjectsV2Command({ Bucket: f.twin.bucket, MaxKeys: 1 }))),
    probe('sfn', () =>
      sfn.send(
        new ListExecutionsCommand({ stateMachineArn: f.twin.stateMachineArn, maxResults: 5 }),
      ),
    ),
  ]);
  const started = performance.now();
  try {
    const arns = await Promise.all(
      Array.from({ length: EXECUTIONS }, (_, i) =>
        f.drop(
          pools[i % POOLS] as string,
          `load-${i}.csv`,
          csv(HEADER, ...users(USERS, i * USERS)),
        ),
      ),
    );
    ended = await Promise.all(arns.map((arn) => f.finish(arn)));
  } finally {
    wallMs = performance.now() - started;
    probing = false;
    await probing$;
    sfn.destroy();
  }
  const latency = (entries: { ms: number }[]) => ({
    count: entries.length,
    p50: ms(
      quantile(
        entries.map((e) => e.ms),
        0.5,
      ),
    ),
    p99: ms(
      quantile(
        entries.map((e) => e.ms),
        0.99,
      ),
    ),
    max: ms(Math.max(...entries.map((e) => e.ms))),
  });
  const byService: Record<string, ReturnType<typeof latency>> = {};
  for (const service of new Set(requests.map((r) => r.service)))
    byService[service] = latency(requests.filter((r) => r.service === service));
  const figures = {
    measuredAt: new Date().toISOString(),
    executions: EXECUTIONS,
    usersEach: USERS,
    wallSeconds: ms(wallMs / 1000),
    api: latency(requests),
    byService,
    probes: { ...latency(probes), failed: probes.filter((p) => !p.ok).length },
  };
  const dir = join(
    import.meta.dirname,
    '..',
    '..',
    'node_modules',
    '.cache',
    'cognito-import-pipeline',
  );
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'load.json'), `${JSON.stringify(figures, null, 2)}\n`);
  console.info(
    `load: ${EXECUTIONS} executions x ${USERS} users in ${figures.wallSeconds} s; twin API ${figures.api.count} requests p50 ${figures.api.p50} ms p99 ${figures.api.p99} ms; probes ${figures.probes.count} p50 ${figures.probes.p50} ms p99 ${figures.probes.p99} ms, ${figures.probes.failed} failed`,
  );
}, 120_000);

afterAll(async () => {
  await f.stop();
});

describe(`${EXECUTIONS} executions at once`, () => {
  it('all end SUCCEEDED, each with its outcome in S3 and its notification', () => {
    expect(ended).toHaveLength(EXECUTIONS);
    expect(ended.map((e) => e.outcome?.status)).toEqual(Array(EXECUTIONS).fill('SUCCEEDED'));
    expect(ended.map((e) => e.outcome?.totals.imported)).toEqual(Array(EXECUTIONS).fill(USERS));
    const notified = new Set(f.twin.sns.messages().map((m) => JSON.parse(m.message).run));
    for (const e of ended) expect(notified.has(e.execution.name)).toBe(true);
  });

  it('ran one import job at a time in the account', async () => {
    const pools = new Set(ended.map((e) => e.outcome?.userPoolId as string));
    const jobs = (await Promise.all([...pools].map((p) => f.jobs(p))))
      .flat()
      .sort((a, b) => (a.StartDate?.getTime() ?? 0) - (b.StartDate?.getTime() ?? 0));
    expect(jobs).toHaveLength(EXECUTIONS);
    for (let i = 1; i < jobs.length; i++)
      expect(jobs[i]?.StartDate?.getTime()).toBeGreaterThanOrEqual(
        jobs[i - 1]?.CompletionDate?.getTime() ?? Number.POSITIVE_INFINITY,
      );
  });

  // Latency is reported (load.json), not asserted: a timing target is a benchmark's, and on a
  // shared 2-core machine a test that asserted one would fail for the machine, not the twin.
  it('kept answering: every probe of every service succeeded', () => {
    for (const service of ['cognito', 's3', 'sfn']) {
      const mine = probes.filter((p) => p.service === service);
      expect(mine.length, service).toBeGreaterThan(5);
      expect(
        mine.filter((p) => !p.ok),
        service,
      ).toEqual([]);
    }
  });

  it('served every API request of the load without a server error', () => {
    expect(requests.length).toBeGreaterThan(EXECUTIONS * 20);
    const served = requests.filter((r) => r.status < 500);
    expect(served).toHaveLength(requests.length);
  });

  it('left no import job running and lost no outcome', async () => {
    expect(await f.violations()).toEqual([]);
  });
});
