/**
 * The leak scan. The suite-wide scan (capture.setup.ts + capture.global.ts) reads every log line
 * of every test file once the run is over; these tests prove that the detector and the capture
 * can fail (a planted leak is caught, in a raw line and in a JSON field), and that a run full of
 * personal data logs none of it — in the functions' log groups, the twin's own import logs (the
 * CloudWatch lines of the jobs) and the notifications.
 */
import { randomInt } from 'node:crypto';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateUserImportJobCommand,
  DescribeUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LOG_CHANNEL, localFunctionName } from '../../src/local/twin.ts';
import type { Log } from '../../src/workflow/telemetry.ts';
import { csv, type Fixture, HEADER, startFixture, users } from './fixture.ts';

import {
  type CapturedLine,
  findLeaks,
  startCapture,
  suiteCapture,
  TWIN_LOG_CHANNEL,
} from './leaks.ts';

let f: Fixture;
let presignedUrl = '';
/**
 * While set, CreateImportJob logs the pre-signed URL it uploads to, through the functions' own
 * logger: a planted leak, where a careless log line would be.
 */
let plantLeak = false;
beforeAll(async () => {
  // Loaded after the twin configured the functions' environment, as the twin loads them.
  let logger: Log | undefined;
  f = await startFixture({
    cognito: { pace: { pendingMs: 20 } },
    wrapUpload: (upload) => async (url, body, length) => {
      if (plantLeak) logger?.info('uploading the part', { target: url });
      return upload(url, body, length);
    },
  });
  const pool = await f.createPool();
  const { UserImportJob } = await f.cognito.send(
    new CreateUserImportJobCommand({
      UserPoolId: pool,
      JobName: 'leak-probe',
      CloudWatchLogsRoleArn: 'arn:aws:iam::123456789012:role/cognito-import-logs',
    }),
  );
  presignedUrl = UserImportJob?.PreSignedUrl ?? '';
  ({ logger } = await import('../../functions/lib/powertools.ts'));
});
afterAll(async () => {
  await f.stop();
});

const line = (text: string, source = 'function'): CapturedLine => ({ source, line: text });

describe('the detector', () => {
  it('finds a pre-signed URL, its signature alone, an email address and a phone number', () => {
    const signature = new URL(presignedUrl).searchParams.get('X-Amz-Signature') ?? '';
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    const found = findLeaks([
      line(`uploading part 1 to ${presignedUrl}`),
      line(`retrying with X-Amz-Signature=${signature}`),
      line('PUT /cognito-idp-user-import/123456789012/us-east-1_X/import-1 failed'),
      line('row 4: jane.doe+work@mail.example.co.uk is not verified', 'console.log'),
      line('could not import +447700900123', 'warning'),
      line('sent to +1 (432) 555-1212? no: +14325551212', 'sns'),
    ]);
    expect(found.map((l) => `${l.source} ${l.kind}`)).toEqual([
      'function pre-signed URL signature',
      'function pre-signed URL',
      'function pre-signed URL signature',
      'function pre-signed URL',
      'console.log email address',
      'warning phone number',
      'sns phone number',
    ]);
  });

  it('passes what logs may carry: ids, counts, line numbers, ARNs, dates, request entries', () => {
    expect(
      findLeaks([
        line('created import job import-AbC123dEf4 for part 1 (500,000 rows)'),
        line('validated run imp-users-0123abcd: 12 rows, 2 invalid, 0 warnings, 1 parts'),
        line(
          '[FAILED] Line Number 5 - The User Record does not set any of the auto verified attributes to true. (Example: email_verified to true).',
        ),
        line('arn:aws:states:us-east-1:123456789012:execution:import-users:imp-a-1'),
        line(
          '{"service":"cognito-idp","operation":"DescribeUserImportJob","status":200,"ms":1.7}',
          'cognito',
        ),
        line('finished at 2026-11-27T09:00:00.000Z, +3600 s later'),
      ]),
    ).toEqual([]);
  });

  it('finds them in the fields of a JSON line, JSON escapes and all, and names the field', () => {
    const found = findLeaks([
      line(
        JSON.stringify({ level: 'INFO', message: 'skipped', note: 'jane.doe\u0040mail.example' }),
      ),
      line(
        JSON.stringify({ level: 'WARN', message: 'upload failed', error: { url: presignedUrl } }),
      ),
    ]);
    expect(found.map((l) => `${l.kind} in ${l.field}`)).toEqual([
      'email address in note',
      'pre-signed URL signature in error.url',
      'pre-signed URL in error.url',
      'forbidden field in error.url',
    ]);
  });

  it('refuses a field named for personal data or a URL, whatever its value looks like', () => {
    expect(
      findLeaks([
        line('{"level":"INFO","message":"imported","username":"jdoe"}'),
        line('{"level":"INFO","message":"x","row":{"given_name":"Ann"}}'),
        line('{"level":"INFO","message":"x","presignedUrl":"redacted"}'),
      ]).map((l) => `${l.kind} ${l.field}`),
    ).toEqual(['forbidden field username', 'forbidden field row', 'forbidden field presignedUrl']);
  });

  it('passes what the functions write: JSON log lines with counts and ids, EMF metric records', () => {
    expect(
      findLeaks([
        line(
          '{"level":"INFO","message":"validated","timestamp":"2026-11-27T09:00:00.000Z","service":"cognito-import-pipeline-prod","cold_start":true,"function_arn":"arn:aws:lambda:us-east-1:123456789012:function:cognito-import-pipeline-prod-validateCsv","function_name":"cognito-import-pipeline-prod-validateCsv","function_request_id":"0f4f0c2e-6a8e-4a3c-9b1a-2f7c1c1d2e3f","run":"imp-users-0123abcd","rows":12,"invalidRows":2,"warnings":0,"parts":1}',
        ),
        line(
          '{"_aws":{"Timestamp":1796193955535,"CloudWatchMetrics":[{"Namespace":"CognitoImport","Dimensions":[["service","status"]],"Metrics":[{"Name":"Runs","Unit":"Count"}]}]},"run":"imp-users-0123abcd","service":"cognito-import-pipeline-prod","status":"PARTIAL","Runs":1}',
        ),
        line(
          '{"timestamp":"2026-11-27T09:00:00.000Z","level":"ERROR","requestId":"0f4f0c2e","message":"Invoke Error","errorType":"UploadExpiredError","errorMessage":"The pre-signed upload URL expired before the upload finished."}',
        ),
      ]),
    ).toEqual([]);
  });

  it('reads the channel the twin publishes on', () => {
    expect(TWIN_LOG_CHANNEL).toBe(LOG_CHANNEL);
  });
});

describe('a run full of personal data', () => {
  it('logs none of it: not in the function and twin logs, the import logs or the notifications', async () => {
    const tag = randomInt(1e6, 1e7);
    const email = (i: number) => `probe.${tag}.${i}@leak-test.example.org`;
    const phone = (i: number) => `+4477009${String(tag).slice(0, 5)}${i}`;
    const row = (i: number, changes = '') =>
      changes || `probe${tag}u${i},${email(i)},true,${phone(i)},false`;
    const header = 'cognito:username,email,email_verified,phone_number,phone_number_verified';
    const capture = startCapture();
    let lines: CapturedLine[];
    const pool = await f.createPool();
    try {
      // Imported, skipped (already in the pool), invalid (set aside), and a rejected file.
      await f.finish(await f.drop(pool, 'seed.csv', `${header}\n${row(1)}\n`));
      const { outcome } = await f.finish(
        f.start({
          bucket: f.twin.bucket,
          key: await putUpload(
            pool,
            `${header}\n${row(1)}\n${row(2)}\n${row(3)}\nbad user,${email(4)},true,${phone(4)},false\n`,
          ),
          userPoolId: pool,
          options: { invalidRows: 'skip' },
        }),
      );
      expect(outcome).toMatchObject({ status: 'PARTIAL', totals: { imported: 2, skipped: 1 } });
      // The data did flow: S3 reports hold it, where it belongs.
      expect(await f.readText(`reports/${outcome?.run}/rejected-rows.csv`)).toContain(email(4));
      await f.finish(
        await f.drop(
          pool,
          'rejected.csv',
          `${header}\n${row(5)}\nx,${email(6)},maybe,${phone(6)},no\n`,
        ),
      );
    } finally {
      lines = capture.stop();
    }
    expect(lines.length).toBeGreaterThan(20);
    // The twin's import logs, as CloudWatch Logs keeps them.
    const logs = logsClient(f);
    const name = (await f.cognito.send(new DescribeUserPoolCommand({ UserPoolId: pool }))).UserPool
      ?.Name;
    const { logGroups } = await logs.send(
      new DescribeLogGroupsCommand({
        logGroupNamePrefix: `/aws/cognito/userpools/${pool}/${name}`,
      }),
    );
    for (const group of logGroups ?? []) {
      const { events } = await logs.send(
        new FilterLogEventsCommand({ logGroupName: group.logGroupName }),
      );
      for (const event of events ?? []) lines.push(line(event.message ?? '', 'cognito-import-log'));
    }
    // The functions' log groups, as CloudWatch Logs keeps them (the lines captured above).
    const functionGroups =
      (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/' })))
        .logGroups ?? [];
    for (const group of functionGroups) {
      const { events } = await logs.send(
        new FilterLogEventsCommand({ logGroupName: group.logGroupName }),
      );
      for (const event of events ?? []) lines.push(line(event.message ?? '', 'function-log-group'));
    }
    logs.destroy();
    expect(lines.filter((l) => l.source === 'function-log-group').length).toBeGreaterThan(10);
    for (const message of f.twin.sns.messages())
      lines.push(line(`${message.subject} ${message.message}`, 'sns-kept'));
    expect(lines.some((l) => l.source === 'cognito-import-log')).toBe(true);
    expect(findLeaks(lines)).toEqual([]);
    const all = JSON.stringify(lines);
    for (const i of [1, 2, 3, 4, 5, 6]) {
      expect(all).not.toContain(email(i));
      expect(all).not.toContain(phone(i));
    }
  });
});

// Last: the planted line stays in the twin's log groups, which the run above reads whole.
describe('the capture', () => {
  it('catches a leak planted in a function log line, on its way to the logs', async () => {
    // Planted on purpose: the suite-wide scan looks away (it would fail the run, as it should).
    suiteCapture.paused = true;
    const capture = startCapture();
    let run = '';
    try {
      const pool = await f.createPool();
      plantLeak = true;
      const { execution } = await f.finish(
        await f.drop(pool, 'planted.csv', csv(HEADER, ...users(2))),
      );
      run = execution.name;
      plantLeak = false;
      console.info('the user jane.doe@example.com was skipped');
      process.emitWarning('phone +447700900999 refused');
      // Warnings are emitted on the next tick.
      await new Promise<void>((resolve) => setImmediate(resolve));
    } finally {
      capture.stop();
      suiteCapture.paused = false;
    }
    const leaks = findLeaks(capture.lines);
    expect(leaks.map((l) => `${l.source} ${l.kind} ${l.field ?? ''}`.trim())).toEqual([
      'function pre-signed URL signature target',
      'function pre-signed URL target',
      'console.info email address',
      'warning phone number',
    ]);
    // The planted line is a JSON log line of that run, and it reached the function's log group.
    const plantedLine = capture.lines.find((l) => l.line.includes('uploading the part'));
    expect(JSON.parse(plantedLine?.line ?? '{}')).toMatchObject({
      level: 'INFO',
      run,
      function_name: localFunctionName('createImportJob'),
    });
    const logs = logsClient(f);
    const { events } = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: `/aws/lambda/${localFunctionName('createImportJob')}`,
        filterPattern: '"uploading the part"',
      }),
    );
    logs.destroy();
    expect(findLeaks((events ?? []).map((e) => line(e.message ?? ''))).map((l) => l.kind)).toEqual([
      'pre-signed URL signature',
      'pre-signed URL',
    ]);
  });
});

function logsClient(fixture: Fixture): CloudWatchLogsClient {
  return new CloudWatchLogsClient({
    endpoint: fixture.twin.cognito.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

async function putUpload(pool: string, body: string): Promise<string> {
  const key = `incoming/${pool}/probe-${Date.now()}.upload`;
  await f.put(key, body);
  return key;
}
