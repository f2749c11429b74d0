/**
 * Which pools a run may import into, and which pool each key goes to, through the real workflow
 * on the local twin: the allowed-pools setting (tagged by default, a list, or any) refuses a pool
 * in PrepareImport before any import job exists, and keys name their pool at any depth.
 */
import {
  ListUsersCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedRun } from '../../src/local/twin.ts';
import { csv, type Fixture, HEADER, startFixture, users } from '../hardening/fixture.ts';
import { expectDenials } from '../iam/denials.ts';

expectDenials(
  /(-PrepareImportRole cognito-idp:DescribeUserPool|-SweepExecutionRole cognito-idp:ListUserImportJobs) /,
  'the pools each test means the pipeline not to use: IAM refuses them, as on AWS',
);

/** The stage default pool: it does not exist, so a run sent there would say so. */
const DEFAULT_POOL = 'us-east-1_Default0';
const TAG = 'cognito-import:allowed';

let f: Fixture;
let open: string;
let untagged: string;
beforeAll(async () => {
  f = await startFixture({ functionEnv: { DEFAULT_USER_POOL_ID: DEFAULT_POOL } });
  open = await f.createPool();
  untagged = await f.createPool({ UserPoolTags: {} });
});
afterAll(async () => {
  await f.stop();
});

const usersIn = async (poolId: string) =>
  (await f.cognito.send(new ListUsersCommand({ UserPoolId: poolId }))).Users?.length ?? 0;
const arnOf = (poolId: string) => `arn:aws:cognito-idp:us-east-1:123456789012:userpool/${poolId}`;

describe('tagged pools only (the default)', () => {
  it('refuses a file for an untagged pool: REJECTED pool.not-allowed, no import job, no user', async () => {
    const { execution, outcome, states } = await f.finish(
      await f.drop(untagged, 'users.csv', csv(HEADER, ...users(2))),
    );
    expect(execution.error).toBe('CsvRejected');
    expect(states).toEqual([
      'PrepareImport',
      'IsPrepared',
      'ReportOutcome',
      'OutcomeStatus',
      'CsvRejected',
    ]);
    expect(outcome).toMatchObject({
      status: 'REJECTED',
      code: 'pool.not-allowed',
      userPoolId: untagged,
      reason: expect.stringContaining(`tag it ${TAG}=true`),
      jobs: [],
    });
    expect(await f.jobs(untagged)).toEqual([]);
    expect(await usersIn(untagged)).toBe(0);
  });

  it('imports into a pool once it is tagged, and refuses it again once the tag is gone', async () => {
    const pool = await f.createPool({ UserPoolTags: {} });
    await f.cognito.send(
      new TagResourceCommand({ ResourceArn: arnOf(pool), Tags: { [TAG]: 'true' } }),
    );
    const tagged = await f.finish(await f.drop(pool, 'a.csv', csv(HEADER, ...users(2, 0, 'a'))));
    expect(tagged.outcome).toMatchObject({ status: 'SUCCEEDED', totals: { imported: 2 } });
    await f.cognito.send(new UntagResourceCommand({ ResourceArn: arnOf(pool), TagKeys: [TAG] }));
    const untaggedAgain = await f.finish(
      await f.drop(pool, 'b.csv', csv(HEADER, ...users(2, 0, 'b'))),
    );
    expect(untaggedAgain.outcome).toMatchObject({ status: 'REJECTED', code: 'pool.not-allowed' });
    expect(await f.jobs(pool)).toHaveLength(1);
  });

  it('refuses a pool tagged with another value than "true"', async () => {
    const pool = await f.createPool({ UserPoolTags: { [TAG]: 'yes' } });
    const { outcome } = await f.finish(await f.drop(pool, 'users.csv', csv(HEADER, ...users(1))));
    expect(outcome).toMatchObject({ status: 'REJECTED', code: 'pool.not-allowed' });
  });
});

describe('keys and pools', () => {
  it('imports incoming/<pool>/2026/12/users.csv into <pool>, not the stage default', async () => {
    const pool = await f.createPool();
    const arn = await f.drop(pool, '2026/12/users.csv', csv(HEADER, ...users(3)));
    const { outcome } = await f.finish(arn);
    expect(outcome).toMatchObject({
      status: 'SUCCEEDED',
      userPoolId: pool,
      source: { key: `incoming/${pool}/2026/12/users.csv` },
      totals: { imported: 3 },
    });
    expect(await usersIn(pool)).toBe(3);
  });

  it('imports a nested key with spaces and unicode into its pool', async () => {
    const pool = await f.createPool();
    const name = 'HR exports/2026 Q4/Zoë + Łukasz (final).csv';
    const { outcome } = await f.finish(await f.drop(pool, name, csv(HEADER, ...users(2))));
    expect(outcome).toMatchObject({
      status: 'SUCCEEDED',
      userPoolId: pool,
      source: { key: `incoming/${pool}/${name}` },
    });
  });

  it('refuses incoming/not-a-pool/users.csv, naming the layout it expects', async () => {
    const { execution, outcome } = await f.finish(
      await f.drop('not-a-pool', 'users.csv', csv(HEADER, ...users(1))),
    );
    expect(execution.error).toBe('CsvRejected');
    expect(outcome).toMatchObject({
      status: 'REJECTED',
      code: 'key.no-pool-folder',
      reason: expect.stringContaining('incoming/<userPoolId>/<name>.csv'),
    });
    expect(outcome?.userPoolId).toBeUndefined();
  });

  it('sends only a file directly under incoming/ to the stage default pool', async () => {
    const key = 'incoming/users.csv';
    const started = new Promise<StartedRun>((resolve) => {
      const on = (run: StartedRun) => {
        if (run.key !== key) return;
        f.twin.events.off('started', on);
        resolve(run);
      };
      f.twin.events.on('started', on);
    });
    await f.put(key, csv(HEADER, ...users(1)));
    const [result] = (await started).results;
    const { outcome } = await f.finish((result as { executionArn: string }).executionArn);
    // The default pool does not exist, so it carries no tag: IAM refuses it before Cognito
    // looks for it, as on AWS.
    expect(outcome).toMatchObject({
      status: 'REJECTED',
      code: 'pool.not-allowed',
      userPoolId: DEFAULT_POOL,
      reason: expect.stringContaining('or does not exist'),
      source: { key: 'incoming/users.csv' },
    });
  });
});

describe('other settings', () => {
  it('a list: imports into the listed pools whatever their tags, and refuses a tagged pool not listed', async () => {
    const listed = await f.createPool({ UserPoolTags: {} });
    await f.restart({ allowedUserPools: `${listed}, ${DEFAULT_POOL}` });
    try {
      const inList = await f.finish(await f.drop(listed, 'users.csv', csv(HEADER, ...users(2))));
      expect(inList.outcome).toMatchObject({ status: 'SUCCEEDED', userPoolId: listed });
      const notListed = await f.finish(
        await f.drop(open, 'list.csv', csv(HEADER, ...users(2, 0, 'list'))),
      );
      expect(notListed.outcome).toMatchObject({
        status: 'REJECTED',
        code: 'pool.not-allowed',
        reason: expect.stringContaining('is not one of the pools this pipeline may import into'),
      });
      expect(await f.jobs(open)).toEqual([]);
    } finally {
      await f.restart();
    }
  });

  it('any: imports into an untagged pool, but not into one its owner tagged false', async () => {
    const closed = await f.createPool({ UserPoolTags: { [TAG]: 'false' } });
    await f.restart({ allowedUserPools: 'any' });
    try {
      const anyPool = await f.finish(
        await f.drop(untagged, 'any.csv', csv(HEADER, ...users(2, 0, 'any'))),
      );
      expect(anyPool.outcome).toMatchObject({ status: 'SUCCEEDED', userPoolId: untagged });
      const refused = await f.finish(await f.drop(closed, 'users.csv', csv(HEADER, ...users(1))));
      expect(refused.outcome).toMatchObject({
        status: 'REJECTED',
        code: 'pool.not-allowed',
        reason: expect.stringContaining(`tagged ${TAG}=false`),
      });
      expect(await f.jobs(closed)).toEqual([]);
    } finally {
      await f.restart();
    }
  });

  it('goes back to tagged pools only when the twin restarts without a setting', async () => {
    const { outcome } = await f.finish(
      await f.drop(untagged, 'again.csv', csv(HEADER, ...users(1, 0, 'again'))),
    );
    expect(outcome).toMatchObject({ status: 'REJECTED', code: 'pool.not-allowed' });
  });
});

describe('after every run', () => {
  it('no import job is left running and no outcome is lost', async () => {
    expect(await f.violations()).toEqual([]);
  });
});
