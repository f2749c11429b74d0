import { describe, expect, it } from 'vitest';
import { attributesOf } from '../../../src/workflow/post-import/attributes.ts';
import { Pacer } from '../../../src/workflow/post-import/pacer.ts';

describe('the attributes an existing user is updated with from its row', () => {
  const header = [
    'cognito:username',
    'sub',
    'name',
    'email',
    'email_verified',
    'phone_number',
    'phone_number_verified',
    'cognito:mfa_enabled',
    'password_hash',
    'custom:tier',
  ];

  it('never sends the username, sub, MFA or the password hash', () => {
    const values = [
      'ann',
      'abc-123',
      'Ann',
      'a@example.com',
      'true',
      '+15550100',
      'false',
      'true',
      '$2b$10$x',
      'gold',
    ];
    expect(attributesOf(header, values).map((a) => a.Name)).toEqual([
      'name',
      'email',
      'email_verified',
      'phone_number',
      'phone_number_verified',
      'custom:tier',
    ]);
  });

  it('leaves out every empty value, so nothing is cleared, and a verified flag the row does not give', () => {
    const values = ['ann', '', '', 'a@example.com', '', '', '', '', '', 'gold'];
    expect(attributesOf(header, values)).toEqual([
      { Name: 'email', Value: 'a@example.com' },
      { Name: 'custom:tier', Value: 'gold' },
    ]);
  });

  it('sends the verified flags in the lower case Cognito takes, and other values as they are', () => {
    const values = ['ann', '', 'TRUE Name', '', 'TRUE', '+1', 'False', '', '', 'MiXed'];
    expect(attributesOf(header, values)).toEqual([
      { Name: 'name', Value: 'TRUE Name' },
      { Name: 'email_verified', Value: 'true' },
      { Name: 'phone_number', Value: '+1' },
      { Name: 'phone_number_verified', Value: 'false' },
      { Name: 'custom:tier', Value: 'MiXed' },
    ]);
  });
});

describe('the pacer', () => {
  const fakeClock = () => {
    const clock = {
      t: 1_000,
      now: () => clock.t,
      sleep: async (ms: number) => {
        clock.t += ms;
      },
    };
    return clock;
  };

  it('lets N requests start no faster than the rate: N take at least (N - 1) / rate seconds', async () => {
    const clock = fakeClock();
    const pacer = new Pacer(4, clock);
    const starts: number[] = [];
    for (let i = 0; i < 9; i++) starts.push(await pacer.take());
    expect((starts[8] as number) - (starts[0] as number)).toBeGreaterThanOrEqual(2_000);
    // No second holds more than the rate.
    for (const from of starts)
      expect(starts.filter((t) => t >= from && t < from + 1_000).length).toBeLessThanOrEqual(4);
  });

  it('does not wait when the caller was slower than the pace', async () => {
    const clock = fakeClock();
    const pacer = new Pacer(10, clock);
    await pacer.take();
    clock.t += 500;
    const before = clock.t;
    expect(await pacer.take()).toBe(before);
    expect(clock.t).toBe(before);
  });

  it('waits for notBefore when it is later than the pace', async () => {
    const clock = fakeClock();
    const pacer = new Pacer(1000, clock);
    const first = await pacer.take();
    expect(await pacer.take(first + 125)).toBe(first + 125);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new Pacer(0, fakeClock())).toThrow('The rate must be positive');
  });
});
