/**
 * Fault matrix, part 3: what happens around the runs — the execution stopped from outside, the
 * twin restarted while a job runs, events delivered twice or out of order, many files at once,
 * and the time-based faults (a deadline stop while Stop is throttled, the pre-signed URL expiring
 * before the upload is done) on a virtual clock. Every case ends with the two invariants: no
 * import job left active, no outcome lost.
 */
import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import type { ObjectCreatedEvent } from '../../twin/s3/index.ts';
import {
  createVirtualClock,
  executionStatusChangeEvent,
  type TaskHandler,
} from '../../twin/sfn/index.ts';
import { csv, type Fixture, HEADER, startFixture, taskFailures, users } from './fixture.ts';

let f: Fixture | undefined;
afterEach(async () => {
  await f?.stop();
  f = undefined;
});

async function expectClean(fixture: Fixture) {
  fixture.twin.cognito.faults.clear();
  expect(await fixture.violations()).toEqual([]);
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A gate a task waits at: the test opens it. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  let reached: () => void = () => {};
  const arrived = new Promise<void>((resolve) => {
    reached = resolve;
  });
  return { open, opened, arrived, reached };
}

/** StopExecution through the Step Functions API, as an operator or another system calls it. */
async function stopExecution(fixture: Fixture, executionArn: string, cause: string) {
  const sfn = new SFNClient({
    endpoint: fixture.twin.sfn.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause }));
  } finally {
    sfn.destroy();
  }
}

const jobStatuses = async (fixture: Fixture, pool: string) =>
  (await fixture.jobs(pool)).map((j) => j.Status);

describe('the execution stopped from outside (StopExecution)', () => {
  it('while its job runs: the sweeper stops the job and writes the STOPPED outcome', async () => {
    f = await startFixture({ cognito: { pace: { pendingMs: 20 } } });
    const fx = f;
    const pool = await fx.createPool();
    fx.twin.cognito.faults.addJobFault({ kind: 'never-finish' });
    const arn = await fx.drop(pool, 'stopped.csv', csv(HEADER, ...users(3)));
    await until(async () => (await jobStatuses(fx, pool))[0] === 'InProgress');
    await stopExecution(fx, arn, 'wrong file, cancelled by the operator');
    const { execution, outcome } = await fx.finish(arn);
    expect(execution.status).toBe('ABORTED');
    expect(await jobStatuses(fx, pool)).toEqual(['Stopped']);
    expect(outcome).toMatchObject({
      status: 'STOPPED',
      jobs: [{ status: 'Stopped' }],
      executionArn: arn,
    });
    expect(outcome?.reason).toMatch(
      /^The execution was stopped from outside the workflow \(StopExecution: wrong file, cancelled by the operator\); its import job import-\w+ was stopped\.$/,
    );
    const sent = fx.twin.sns
      .messages()
      .filter((m) => m.message.includes(`"run":"${execution.name}"`));
    expect(sent.map((m) => m.attributes.status)).toEqual(['STOPPED']);
    await expectClean(fx);
  });

  it('before any job exists: a STOPPED outcome, and no job', async () => {
    const validating = gate();
    f = await startFixture({
      wrapTask: (state, invoke): TaskHandler =>
        state === 'ValidateCsv'
          ? async (input, context) => {
              validating.reached();
              await validating.opened;
              return invoke(input, context);
            }
          : invoke,
    });
    const fx = f;
    const pool = await fx.createPool();
    const arn = await fx.drop(pool, 'early-stop.csv', csv(HEADER, ...users(3)));
    await validating.arrived;
    await stopExecution(fx, arn, 'not today');
    validating.open();
    const { outcome } = await fx.finish(arn);
    expect(outcome).toMatchObject({ status: 'STOPPED', jobs: [] });
    expect(outcome?.reason).toMatch(/no import job of it was still running/);
    expect(await fx.jobs(pool)).toEqual([]);
    await expectClean(fx);
  });

  it('while StartImportJob is in flight: the job it starts after the stop is stopped too', async () => {
    const starting = gate();
    f = await startFixture({
      wrapTask: (state, invoke): TaskHandler =>
        state === 'StartImportJob'
          ? async (input, context) => {
              starting.reached();
              await starting.opened;
              return invoke(input, context);
            }
          : invoke,
    });
    const fx = f;
    const pool = await fx.createPool();
    fx.twin.cognito.faults.addJobFault({ kind: 'never-finish' });
    const arn = await fx.drop(pool, 'racing.csv', csv(HEADER, ...users(3)));
    await starting.arrived;
    await stopExecution(fx, arn, 'race');
    await fx.twin.whenSwept();
    // The Lambda was already running when the execution stopped: it goes on and starts the job.
    starting.open();
    await until(async () => {
      const [status] = await jobStatuses(fx, pool);
      return status !== 'Created' && status !== 'Pending' && status !== 'InProgress';
    });
    expect(await jobStatuses(fx, pool)).toEqual(['Stopped']);
    expect((await fx.finish(arn)).outcome?.status).toBe('STOPPED');
    await expectClean(fx);
  });
});

describe('the sweeper, as EventBridge invokes it', () => {
  it('delivered twice (at least once delivery): the second sweep changes nothing', async () => {
    f = await startFixture({ cognito: { pace: { pendingMs: 20 } } });
    const fx = f;
    const pool = await fx.createPool();
    fx.twin.cognito.faults.addJobFault({ kind: 'never-finish' });
    const arn = await fx.drop(pool, 'twice-swept.csv', csv(HEADER, ...users(2)));
    await until(async () => (await jobStatuses(fx, pool))[0] === 'InProgress');
    await stopExecution(fx, arn, 'twice');
    const { execution, outcome } = await fx.finish(arn);
    const handler = (event: unknown) => fx.twin.invoke('sweepExecution', event);
    const event = executionStatusChangeEvent(execution, {
      region: 'us-east-1',
      account: '123456789012',
      time: Date.now(),
    });
    await expect(handler(event)).resolves.toMatchObject({
      action: 'swept',
      stoppedJobs: [],
      outcome: 'existed',
    });
    expect(await fx.readOutcome(execution.name)).toEqual(outcome);
    expect(
      fx.twin.sns.messages().filter((m) => m.message.includes(`"run":"${execution.name}"`)),
    ).toHaveLength(1);
    // A SUCCEEDED execution is no business of the sweeper (nor of its rule).
    await expect(
      handler({ ...event, detail: { ...event.detail, status: 'SUCCEEDED' } }),
    ).resolves.toMatchObject({ action: 'ignored' });
    await expectClean(fx);
  });
});

describe('the twin restarted while a job runs', () => {
  it('ends the interrupted execution FAILED, stops its job and writes its outcome', async () => {
    f = await startFixture({ cognito: { pace: { pendingMs: 20 } } });
    const fx = f;
    const pool = await fx.createPool();
    fx.twin.cognito.faults.addJobFault({ kind: 'never-finish' });
    const arn = await fx.drop(pool, 'restarted.csv', csv(HEADER, ...users(3)));
    await until(async () => (await jobStatuses(fx, pool))[0] === 'InProgress');
    await fx.restart();
    const { execution, outcome } = await fx.finish(arn);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(await jobStatuses(fx, pool)).toEqual(['Stopped']);
    expect(outcome).toMatchObject({ status: 'FAILED', jobs: [{ status: 'Stopped' }] });
    expect(outcome?.reason).toMatch(
      /^The execution failed outside the workflow's error handling \(States\.Runtime\) before it reported; its import job import-\w+ was stopped\.$/,
    );
    await expectClean(fx);
  });
});

describe('S3 events delivered twice and out of order', () => {
  it('starts one run per upload, imports only the newest version, and never twice', async () => {
    const held: { event: ObjectCreatedEvent; deliver: (event?: unknown) => void }[] = [];
    f = await startFixture({
      deliverObjectCreated: (event, deliver) => held.push({ event, deliver }),
    });
    const fx = f;
    const pool = await fx.createPool();
    const key = `incoming/${pool}/twice.csv`;
    await fx.put(key, csv(HEADER, ...users(2, 0, 'old')));
    await fx.put(key, csv(HEADER, ...users(3, 0, 'new')));
    expect(held).toHaveLength(2);
    const [first, second] = held as [(typeof held)[0], (typeof held)[0]];
    const deliver = async (which: (typeof held)[0]) => {
      const started = new Promise<unknown>((resolve) => fx.twin.events.once('started', resolve));
      which.deliver();
      return ((await started) as { results: { status: string; name: string }[] }).results[0];
    };
    // The newer upload's event comes first, then the older one's, then the newer one again.
    const newer = await deliver(second);
    const older = await deliver(first);
    const again = await deliver(second);
    expect(newer?.status).toBe('started');
    expect(older?.status).toBe('started');
    expect(again?.name).toBe(newer?.name);
    const arn = (name?: string) =>
      `${fx.twin.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const [n, o] = await Promise.all([fx.finish(arn(newer?.name)), fx.finish(arn(older?.name))]);
    expect(n.outcome).toMatchObject({ status: 'SUCCEEDED', totals: { imported: 3 } });
    expect(o.outcome).toMatchObject({ status: 'REJECTED', jobs: [] });
    expect(o.outcome?.reason).toMatch(/^A newer version of .* was uploaded after this one/);
    // Delivered once more after both ended: a duplicate, nothing started.
    expect((await deliver(second))?.status).toBe('duplicate');
    expect(await jobStatuses(fx, pool)).toEqual(['Succeeded']);
    expect(fx.twin.sfn.listExecutions('import-users')).toHaveLength(2);
    await expectClean(fx);
  });
});

describe('many files at once', () => {
  it('imports five files dropped at once into two pools, one job at a time', async () => {
    f = await startFixture({ cognito: { pace: { pendingMs: 50 } } });
    const fx = f;
    const [a, b] = [await fx.createPool(), await fx.createPool()];
    const arns = await Promise.all(
      [a, b, a, b, a].map((pool, i) =>
        fx.drop(pool, `batch-${i}.csv`, csv(HEADER, ...users(4, 10 * i))),
      ),
    );
    const ended = await Promise.all(arns.map((arn) => fx.finish(arn)));
    expect(ended.map((e) => e.outcome?.status)).toEqual(Array(5).fill('SUCCEEDED'));
    expect(ended.some((e) => e.states.includes('WaitForSlot'))).toBe(true);
    const jobs = [...(await fx.jobs(a)), ...(await fx.jobs(b))].sort(
      (x, y) => (x.StartDate?.getTime() ?? 0) - (y.StartDate?.getTime() ?? 0),
    );
    expect(jobs).toHaveLength(5);
    for (let i = 1; i < jobs.length; i++)
      expect(jobs[i]?.StartDate?.getTime()).toBeGreaterThanOrEqual(
        jobs[i - 1]?.CompletionDate?.getTime() ?? Number.POSITIVE_INFINITY,
      );
    await expectClean(fx);
  });
});

describe('on a virtual clock', () => {
  const START = Date.parse('2026-11-27T09:00:00Z');

  it('stops a job at its deadline while StopUserImportJob is throttled: STOPPED', async () => {
    const clock = createVirtualClock(START);
    f = await startFixture({ clock, waitScale: 0, cognito: { pace: { pendingMs: 20 } } });
    const fx = f;
    const pool = await fx.createPool();
    fx.twin.cognito.faults.addJobFault({ kind: 'never-finish' });
    fx.twin.cognito.faults.add({ kind: 'throttle', operation: 'StopUserImportJob', count: 4 });
    await fx.put(`incoming/${pool}/slow.upload`, csv(HEADER, ...users(2)));
    const { outcome, history } = await fx.finish(
      fx.start({
        bucket: fx.twin.bucket,
        key: `incoming/${pool}/slow.upload`,
        userPoolId: pool,
        options: { deadlineSeconds: 600 },
      }),
    );
    expect(taskFailures(history)).toEqual([
      'StopImportJob TransientServiceError(TooManyRequestsException)',
    ]);
    expect(outcome).toMatchObject({ status: 'STOPPED', jobs: [{ status: 'Stopped' }] });
    await expectClean(fx);
  });

  it('makes a new job when the pre-signed URL expires before the upload is done: SUCCEEDED', async () => {
    const clock = createVirtualClock(START);
    let slow = 1;
    f = await startFixture({
      clock,
      waitScale: 0,
      cognito: { pace: { pendingMs: 20 } },
      // The first upload takes 16 minutes: the URL (15 minutes) lapses before it is done.
      wrapUpload: (upload) => async (url, body, length) => {
        if (slow-- > 0) clock.advance(16 * 60_000);
        return upload(url, body, length);
      },
    });
    const fx = f;
    const pool = await fx.createPool();
    const { outcome, history } = await fx.finish(
      await fx.drop(pool, 'slow-upload.csv', csv(HEADER, ...users(3))),
    );
    expect(taskFailures(history)).toEqual(['CreateImportJob UploadExpiredError']);
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', totals: { imported: 3 } });
    // The first job never got its file and is never started: it expires on its own.
    expect(await jobStatuses(fx, pool)).toEqual(['Succeeded', 'Created']);
    await expectClean(fx);
  });

  it('ends FAILED, with no job running, when every upload outlives its URL', async () => {
    const clock = createVirtualClock(START);
    f = await startFixture({
      clock,
      waitScale: 0,
      wrapUpload: (upload) => async (url, body, length) => {
        clock.advance(16 * 60_000);
        return upload(url, body, length);
      },
    });
    const fx = f;
    const pool = await fx.createPool();
    const { outcome } = await fx.finish(
      await fx.drop(pool, 'never-uploads.csv', csv(HEADER, ...users(3))),
    );
    expect(outcome?.status).toBe('FAILED');
    expect(outcome?.reason).toMatch(/^UploadExpiredError: The pre-signed upload URL expired/);
    expect(await jobStatuses(fx, pool)).toEqual(['Created', 'Created', 'Created']);
    await expectClean(fx);
  });
});
