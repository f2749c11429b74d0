/**
 * The model check itself: it finds what the service model does not allow in an answer (a planted
 * member, a wrong type, a missing required member, an unknown error), it passes the twin's real
 * answers, and the twin publishes every answer it gives, so the suite-wide check
 * (recorder.setup.ts) sees them all.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { DescribeLogStreamsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  AdminGetUserCommand,
  CreateUserPoolCommand,
  DescribeUserImportJobCommand,
  DescribeUserPoolCommand,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublishedResponse } from '../../twin/cognito/server.ts';
import { RESPONSE_CHANNEL as TWIN_CHANNEL } from '../../twin/index.ts';
import { importCsv, startTwinFixture, type TwinFixture } from '../helpers/cognito-twin.ts';
import { answerProblems } from './model-check.ts';
import { RESPONSE_CHANNEL } from './names.ts';

let f: TwinFixture;
let poolId = '';
let jobId = '';
const answers: PublishedResponse[] = [];
const listen = (message: unknown) => {
  answers.push(structuredClone(message as PublishedResponse));
};

beforeAll(async () => {
  subscribe(RESPONSE_CHANNEL, listen);
  f = await startTwinFixture({ pace: { pendingMs: 20 } });
  const { UserPool } = await f.cognito.send(
    new CreateUserPoolCommand({
      PoolName: 'model check',
      AutoVerifiedAttributes: ['email'],
      Schema: [{ Name: 'tier', AttributeDataType: 'Number' }],
    }),
  );
  poolId = UserPool?.Id as string;
  const job = await importCsv(
    f,
    poolId,
    'cognito:username,email,email_verified,custom:tier\nada,ada@example.com,true,3\n',
  );
  jobId = job.JobId as string;
});
afterAll(async () => {
  unsubscribe(RESPONSE_CHANNEL, listen);
  await f.stop();
});

/** The last answer the twin published for an operation, as the check receives it. */
const last = (operation: string) => {
  const answer = answers.findLast((a) => a.operation === operation && a.status === 200);
  if (!answer) throw new Error(`no answer to ${operation}`);
  return structuredClone(answer);
};

describe('the channel', () => {
  it('is the one the twin publishes on', () => {
    expect(RESPONSE_CHANNEL).toBe(TWIN_CHANNEL);
  });

  it('carries every answer, successes and errors, of Cognito and CloudWatch Logs', async () => {
    const before = answers.length;
    await f.cognito.send(new DescribeUserPoolCommand({ UserPoolId: poolId }));
    await f.cognito
      .send(new DescribeUserPoolCommand({ UserPoolId: 'us-east-1_missing' }))
      .catch(() => undefined);
    await f.logs.send(
      new DescribeLogStreamsCommand({
        logGroupName: `/aws/cognito/userpools/${poolId}/model_check`,
      }),
    );
    expect(
      answers
        .slice(before)
        .map(({ service, operation, status }) => ({ service, operation, status })),
    ).toEqual([
      { service: 'cognito-idp', operation: 'DescribeUserPool', status: 200 },
      { service: 'cognito-idp', operation: 'DescribeUserPool', status: 400 },
      { service: 'logs', operation: 'DescribeLogStreams', status: 200 },
    ]);
  });
});

describe('the check', () => {
  it('passes what the twin answers', async () => {
    await f.cognito.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'ada' }));
    await f.cognito.send(new ListUsersCommand({ UserPoolId: poolId }));
    await f.cognito.send(new DescribeUserImportJobCommand({ UserPoolId: poolId, JobId: jobId }));
    const checked = answers.filter((a) =>
      ['DescribeUserPool', 'AdminGetUser', 'ListUsers', 'DescribeUserImportJob'].includes(
        a.operation,
      ),
    );
    expect(checked.length).toBeGreaterThanOrEqual(4);
    expect(checked.flatMap(answerProblems)).toEqual([]);
  });

  it('fails a member the model does not have, at any depth', () => {
    const answer = last('DescribeUserPool');
    const body = answer.body as {
      UserPool: Record<string, unknown> & { SchemaAttributes: object[] };
    };
    body.UserPool.Bogus = 'x';
    (body.UserPool.SchemaAttributes[0] as Record<string, unknown>).Planted = true;
    expect(answerProblems(answer)).toEqual([
      '$.UserPool.SchemaAttributes[0].Planted: not a member of SchemaAttributeType',
      '$.UserPool.Bogus: not a member of UserPoolType',
    ]);
  });

  it('fails a value of the wrong type: a date as text, a number as text, a list as an object', () => {
    const answer = last('DescribeUserImportJob');
    const job = (answer.body as { UserImportJob: Record<string, unknown> }).UserImportJob;
    job.CreationDate = new Date().toISOString();
    job.ImportedUsers = '1';
    const users = last('ListUsers');
    (users.body as { Users: unknown }).Users = { ada: {} };
    expect([...answerProblems(answer), ...answerProblems(users)]).toEqual([
      '$.UserImportJob.CreationDate: a string where the model has a timestamp',
      '$.UserImportJob.ImportedUsers: a string where the model has a number',
      '$.Users: a object where the model has a list',
    ]);
  });

  it('fails a required member left out', () => {
    const answer = last('AdminGetUser');
    delete (answer.body as { Username?: string }).Username;
    const list = last('ListUsers');
    const [user] = (list.body as { Users: { Attributes: { Name?: string }[] }[] }).Users;
    delete user?.Attributes[0]?.Name;
    expect([...answerProblems(answer), ...answerProblems(list)]).toEqual([
      '$.Username: required by AdminGetUserResponse but missing',
      '$.Users[0].Attributes[0].Name: required by AttributeType but missing',
    ]);
  });

  it('fails an error the model does not know, or one with a member its shape lacks', () => {
    expect(
      answerProblems({
        service: 'cognito-idp',
        operation: 'DescribeUserPool',
        status: 400,
        body: { __type: 'PoolOnHolidayException', message: 'Back soon.' },
      }),
    ).toEqual(['PoolOnHolidayException is not an error of the cognito-idp model']);
    expect(
      answerProblems({
        service: 'logs',
        operation: 'GetLogEvents',
        status: 400,
        body: { __type: 'ResourceNotFoundException', message: 'gone', streamName: 'x' },
      }),
    ).toEqual(['ResourceNotFoundException.streamName: not a member of ResourceNotFoundException']);
    expect(
      answerProblems({
        service: 'cognito-idp',
        operation: 'ListUsers',
        status: 400,
        body: { __type: 'SerializationException', message: 'protocol errors are in no model' },
      }),
    ).toEqual([]);
  });
});
