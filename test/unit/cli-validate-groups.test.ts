import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CognitoIdentityProviderClient,
  DescribeUserPoolCommand,
  GetCSVHeaderCommand,
  ListGroupsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/io.ts';
import { validate } from '../../src/cli/validate.ts';
import { STANDARD_CSV_HEADER } from '../../src/csv/index.ts';

const cognito = mockClient(CognitoIdentityProviderClient);
const POOL = 'us-east-1_P1';
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-groups-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  cognito.on(DescribeUserPoolCommand).resolves({
    UserPool: { Id: POOL, AutoVerifiedAttributes: ['email'], MfaConfiguration: 'OFF' },
  });
  cognito.on(GetCSVHeaderCommand).resolves({ CSVHeader: [...STANDARD_CSV_HEADER] });
  cognito
    .on(ListGroupsCommand, { NextToken: undefined })
    .resolves({ Groups: [{ GroupName: 'admins' }], NextToken: 't' })
    .on(ListGroupsCommand, { NextToken: 't' })
    .resolves({ Groups: [{ GroupName: 'staff' }] });
});
afterEach(() => cognito.reset());

function capture(): Io & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), err: (l) => lines.push(l), errRaw() {}, isTty: false };
}

async function validateFile(text: string, ...flags: string[]) {
  const path = join(dir, 'users.csv');
  writeFileSync(path, text);
  const io = capture();
  const code = await validate([path, '--aws', '--pool', POOL, ...flags], io, {
    dataDir: dir,
    endpointsFromEnv: false,
  });
  return { code, out: io.lines.join('\n') };
}

const FILE =
  'cognito:username,email,email_verified,cognito:groups\nann,ann@example.com,true,admins;ghosts\nbob,bob@example.com,true,staff\n';

describe('cognito-import validate with a cognito:groups column', () => {
  it('checks the names against every page of the pool’s groups and names the unknown ones', async () => {
    const { code, out } = await validateFile(FILE);
    expect(code).toBe(1);
    expect(cognito).toHaveReceivedCommandTimes(ListGroupsCommand, 2);
    expect(out).toContain('groups: 1 valid row names groups (1 membership)');
    expect(out).toMatch(/groups the pool lacks, an error in each row naming one .*: 1 \(ghosts\)/);
    expect(out).toContain('[groups.unknown]');
    expect(out).not.toMatch(/\bann\b/);
  });

  it('says which groups a run with createGroups would create', async () => {
    const { code, out } = await validateFile(FILE, '--create-groups');
    expect(code).toBe(0);
    expect(out).toContain('groups: 2 valid rows name groups (3 memberships)');
    expect(out).toContain('groups the pool lacks, to be created: 1 (ghosts)');
  });

  it('does not read the pool’s groups for a file without the column', async () => {
    const { code, out } = await validateFile(
      'cognito:username,email,email_verified\nann,ann@example.com,true\n',
    );
    expect(code).toBe(0);
    expect(cognito).toHaveReceivedCommandTimes(ListGroupsCommand, 0);
    expect(out).not.toContain('groups:');
  });
});
