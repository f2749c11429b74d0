/**
 * The Cognito twin's request-rate quotas: the limiter on a clock the test moves (each category's
 * allowance, the 5-per-second cap per pool and operation, a user's 10 writes a second, the knobs),
 * then the twin itself refusing a burst through the real SDK client.
 */
import {
  AdminAddUserToGroupCommand,
  CreateGroupCommand,
  GetGroupCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import { defaultKnobs, type Knobs } from '../../twin/cognito/knobs.ts';
import {
  DOCUMENTED_RATES,
  OPERATION_CATEGORY,
  PER_POOL_OPERATION_RATE,
  RequestRates,
} from '../../twin/cognito/rates.ts';
import { operationModel } from '../../twin/cognito/service-model.ts';
import { startTwinFixture } from '../helpers/cognito-twin.ts';
import { createPool, importUsers } from './auth/helpers.ts';

/** A limiter on a clock that moves only when told, with the default knobs and some changed. */
function limiter(knobs: Partial<Knobs> = {}) {
  let now = 0;
  const settings: Knobs = { ...defaultKnobs, ...knobs };
  const rates = new RequestRates(settings, () => now);
  const passes = (operation: string, input: Record<string, unknown> = {}) => {
    try {
      rates.check(operation, input);
      return true;
    } catch (error) {
      expect((error as { type?: string }).type).toBe('TooManyRequestsException');
      return false;
    }
  };
  /** How many of `count` calls at this instant pass. */
  const burst = (count: number, operation: string, input: (i: number) => Record<string, unknown>) =>
    Array.from({ length: count }, (_, i) => passes(operation, input(i))).filter(Boolean).length;
  return { settings, rates, passes, burst, advance: (ms: number) => (now += ms) };
}

const user = (i: number) => ({ UserPoolId: 'us-east-1_Pool1', Username: `user${i}` });

describe('the limiter', () => {
  it("holds UserUpdate to its documented 25 a second, across operations, and lets a second's worth through again a second later", () => {
    const l = limiter();
    expect(DOCUMENTED_RATES.UserUpdate).toBe(25);
    expect(l.burst(20, 'AdminAddUserToGroup', user)).toBe(20);
    expect(l.burst(20, 'AdminUpdateUserAttributes', (i) => user(100 + i))).toBe(5);
    l.advance(1000);
    expect(l.burst(30, 'AdminRemoveUserFromGroup', (i) => user(200 + i))).toBe(25);
  });

  it('refills steadily: a caller at the quota is never refused', () => {
    const l = limiter();
    let refused = 0;
    for (let i = 0; i < 500; i++) {
      if (!l.passes('AdminAddUserToGroup', user(i))) refused++;
      l.advance(40); // 25 a second
    }
    expect(refused).toBe(0);
  });

  it('leaves the categories the knob does not name alone, and holds those it names to the 5-per-pool cap', () => {
    const open = limiter();
    expect(open.burst(100, 'DescribeUserImportJob', () => ({ UserPoolId: 'us-east-1_A' }))).toBe(
      100,
    );
    const held = limiter({ requestRateCategories: ['UserPoolResourceRead'] });
    expect(held.burst(10, 'GetGroup', () => ({ UserPoolId: 'us-east-1_A' }))).toBe(
      PER_POOL_OPERATION_RATE,
    );
    // Another pool, and another operation of the same pool, have their own 5; the category's 20
    // is shared by all.
    expect(held.burst(10, 'GetGroup', () => ({ UserPoolId: 'us-east-1_B' }))).toBe(5);
    expect(held.burst(10, 'ListGroups', () => ({ UserPoolId: 'us-east-1_A' }))).toBe(5);
    expect(held.burst(10, 'ListGroups', () => ({ UserPoolId: 'us-east-1_C' }))).toBe(5);
    expect(held.burst(10, 'GetCSVHeader', () => ({ UserPoolId: 'us-east-1_D' }))).toBe(0);
  });

  it('holds one user to 10 writes a second, counting group changes per the knob', () => {
    const l = limiter({ requestRateCategories: [] });
    expect(l.burst(15, 'AdminAddUserToGroup', () => user(1))).toBe(10);
    expect(l.passes('AdminUpdateUserAttributes', user(1))).toBe(false);
    expect(l.passes('AdminUpdateUserAttributes', user(2))).toBe(true);
    const groupsFree = limiter({ requestRateCategories: [], perUserWritesCountGroups: false });
    expect(groupsFree.burst(15, 'AdminAddUserToGroup', () => user(1))).toBe(15);
    expect(groupsFree.burst(15, 'AdminUpdateUserAttributes', () => user(1))).toBe(10);
    const unlimited = limiter({ requestRateCategories: [], perUserWriteRate: 0 });
    expect(unlimited.burst(50, 'AdminUpdateUserAttributes', () => user(1))).toBe(50);
  });

  it('takes a rate from the knob in place of the documented one, and applies a change at once', () => {
    const l = limiter({ requestRates: { UserUpdate: 3 }, perUserWriteRate: 0 });
    expect(l.burst(10, 'AdminAddUserToGroup', user)).toBe(3);
    l.settings.requestRates = { UserUpdate: 100 };
    expect(l.burst(150, 'AdminAddUserToGroup', user)).toBe(100);
  });

  it('charges a refused call to no quota', () => {
    const l = limiter({ requestRates: { UserUpdate: 100 } });
    expect(l.burst(12, 'AdminAddUserToGroup', () => user(1))).toBe(10);
    // The two calls the user's own quota refused took nothing from UserUpdate's 100.
    expect(l.burst(90, 'AdminAddUserToGroup', (i) => user(10 + i))).toBe(90);
  });

  it('forgets the allowance of users no longer written, so 500,000 users do not fill memory', () => {
    const l = limiter({ requestRateCategories: [] });
    for (let i = 0; i < 50_000; i++) {
      l.passes('AdminUpdateUserAttributes', user(i));
      if (i % 1000 === 999) l.advance(1000);
    }
    expect(l.rates.tracked).toBeLessThanOrEqual(10_001);
  });

  it('knows the category of every Cognito operation the twin answers, each one of the model', () => {
    for (const operation of Object.keys(OPERATION_CATEGORY))
      expect(operationModel('cognito-idp', operation), operation).toBeDefined();
  });
});

describe('the twin', () => {
  it('answers TooManyRequestsException to a burst over a category quota, and leaves unlimited categories alone', async () => {
    const f = await startTwinFixture({
      knobs: { requestRates: { UserUpdate: 1 }, perUserWriteRate: 0 },
    });
    try {
      const poolId = await createPool(f.cognito);
      await importUsers(f, poolId, ['u1', 'u2', 'u3', 'u4', 'u5']);
      await f.cognito.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: 'g' }));
      const outcomes: string[] = [];
      for (const username of ['u1', 'u2', 'u3', 'u4', 'u5'])
        outcomes.push(
          await f.cognito
            .send(
              new AdminAddUserToGroupCommand({
                UserPoolId: poolId,
                Username: username,
                GroupName: 'g',
              }),
            )
            .then(
              () => 'ok',
              (error: Error) => error.name,
            ),
        );
      // One a second: the first passes, and five calls never take long enough for all to pass.
      expect(outcomes[0]).toBe('ok');
      expect(outcomes).toContain('TooManyRequestsException');
      for (let i = 0; i < 30; i++)
        await f.cognito.send(new GetGroupCommand({ UserPoolId: poolId, GroupName: 'g' }));
    } finally {
      await f.stop();
    }
  });
});
