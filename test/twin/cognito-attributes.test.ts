/**
 * AdminUpdateUserAttributes on the Cognito twin, through the real SDK client: what changes and
 * what stays, the refusals, the verified flags of a new email or phone number, verification
 * before update, custom and developer-only attributes, sign-in names that must stay unique, and
 * the knobs for the points the documentation leaves open.
 */
import {
  AdminGetUserCommand,
  AdminUpdateUserAttributesCommand,
  type AttributeType,
  type CognitoIdentityProviderClient,
  type CreateUserPoolCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultKnobs, type Knobs } from '../../twin/cognito/knobs.ts';
import { importCsv, startTwinFixture, type TwinFixture } from '../helpers/cognito-twin.ts';
import { createPool, failure } from './auth/helpers.ts';

let f: TwinFixture;
beforeAll(async () => {
  f = await startTwinFixture();
});
afterAll(async () => {
  await f.stop();
});

/** Runs a test with some knobs set, and puts them back whatever happens. */
async function withKnobs(knobs: Partial<Knobs>, work: () => Promise<void>) {
  Object.assign(f.twin.knobs, knobs);
  try {
    await work();
  } finally {
    for (const name of Object.keys(knobs) as (keyof Knobs)[])
      Object.assign(f.twin.knobs, { [name]: defaultKnobs[name] });
  }
}

const HEADER =
  'cognito:username,email,email_verified,phone_number,phone_number_verified,given_name';

/** A pool with one imported user, ada (RESET_REQUIRED, verified email, unverified phone). */
async function poolWithAda(input: Partial<CreateUserPoolCommandInput> = {}, extra = '') {
  const poolId = await createPool(f.cognito, input);
  const rows = [`ada,ada@example.com,true,+15550100,false,Ada`, extra].filter(Boolean);
  const job = await importCsv(f, poolId, [HEADER, ...rows].join('\n'));
  expect(job.ImportedUsers).toBe(rows.length);
  return poolId;
}

const update = (
  poolId: string,
  username: string,
  attributes: Record<string, string>,
  client: CognitoIdentityProviderClient = f.cognito,
) =>
  client.send(
    new AdminUpdateUserAttributesCommand({
      UserPoolId: poolId,
      Username: username,
      UserAttributes: Object.entries(attributes).map(
        ([Name, Value]): AttributeType => ({ Name, Value }),
      ),
    }),
  );

async function getUser(poolId: string, username: string) {
  const user = await f.cognito.send(
    new AdminGetUserCommand({ UserPoolId: poolId, Username: username }),
  );
  return {
    ...user,
    attributes: Object.fromEntries((user.UserAttributes ?? []).map((a) => [a.Name, a.Value])),
  };
}

describe('what changes and what stays', () => {
  it('changes the attributes the call names and keeps every other, the username and the status', async () => {
    const poolId = await poolWithAda();
    const before = await getUser(poolId, 'ada');
    await update(poolId, 'ada', { given_name: 'Augusta', family_name: 'King' });
    const after = await getUser(poolId, 'ada');
    expect(after.Username).toBe('ada');
    expect(after.UserStatus).toBe('RESET_REQUIRED');
    expect(after.attributes).toEqual({
      ...before.attributes,
      given_name: 'Augusta',
      family_name: 'King',
    });
  });

  it('deletes an attribute given a blank value', async () => {
    const poolId = await poolWithAda();
    await update(poolId, 'ada', { given_name: '' });
    expect((await getUser(poolId, 'ada')).attributes.given_name).toBeUndefined();
  });

  it('finds the user by the sub, as AdminGetUser does', async () => {
    const poolId = await poolWithAda();
    const { sub } = (await getUser(poolId, 'ada')).attributes;
    await update(poolId, sub as string, { nickname: 'Ada' });
    expect((await getUser(poolId, 'ada')).attributes.nickname).toBe('Ada');
  });

  it('answers UserNotFoundException for a user the pool does not have', async () => {
    const poolId = await poolWithAda();
    expect(await failure(update(poolId, 'nobody', { nickname: 'x' }))).toEqual({
      name: 'UserNotFoundException',
      message: 'User does not exist.',
    });
  });
});

describe('refusals', () => {
  it('refuses sub, attributes the schema lacks and immutable ones, one line each, and changes nothing', async () => {
    const poolId = await poolWithAda({
      Schema: [{ Name: 'employee_id', AttributeDataType: 'String', Mutable: false }],
    });
    const before = await getUser(poolId, 'ada');
    const refused = await failure(
      update(poolId, 'ada', {
        given_name: 'Augusta',
        sub: 'another-sub',
        'custom:unknown': 'x',
        'custom:employee_id': 'E1',
        username: 'someone-else',
      }),
    );
    expect(refused).toEqual({
      name: 'InvalidParameterException',
      message: [
        'user.sub: Attribute cannot be updated.',
        'user.custom:unknown: Attribute does not exist in the schema.',
        'user.custom:employee_id: Attribute cannot be updated.',
        'user.username: Attribute does not exist in the schema.',
      ].join('\n'),
    });
    expect((await getUser(poolId, 'ada')).attributes).toEqual(before.attributes);
  });

  it('refuses deleting a required attribute, and values of the wrong form', async () => {
    const poolId = await poolWithAda({
      Schema: [
        { Name: 'given_name', AttributeDataType: 'String', Required: true },
        {
          Name: 'level',
          AttributeDataType: 'Number',
          NumberAttributeConstraints: { MinValue: '1', MaxValue: '5' },
        },
        {
          Name: 'code',
          AttributeDataType: 'String',
          StringAttributeConstraints: { MinLength: '2', MaxLength: '4' },
        },
        { Name: 'active', AttributeDataType: 'Boolean' },
      ],
    });
    const refused: Record<string, string>[] = [
      { given_name: '' },
      { phone_number: '555-0100' },
      { email: 'not-an-email' },
      { email_verified: 'yes' },
      { 'custom:level': '9' },
      { 'custom:level': 'high' },
      { 'custom:code': 'toolong' },
      { 'custom:active': 'maybe' },
    ];
    for (const attributes of refused)
      expect((await failure(update(poolId, 'ada', attributes))).name).toBe(
        'InvalidParameterException',
      );
    await update(poolId, 'ada', {
      'custom:level': '3',
      'custom:code': 'AB',
      'custom:active': 'TRUE',
    });
    expect((await getUser(poolId, 'ada')).attributes).toMatchObject({
      'custom:level': '3',
      'custom:code': 'AB',
      'custom:active': 'true',
    });
  });

  it('refuses a value longer than 2,048 characters and a name longer than 32, as the model does', async () => {
    const poolId = await poolWithAda();
    expect((await failure(update(poolId, 'ada', { nickname: 'n'.repeat(2049) }))).name).toBe(
      'InvalidParameterException',
    );
    expect((await failure(update(poolId, 'ada', { [`custom:${'n'.repeat(30)}`]: 'x' }))).name).toBe(
      'InvalidParameterException',
    );
  });
});

describe('verified flags', () => {
  it('marks a new email unverified unless the call verifies it', async () => {
    const poolId = await poolWithAda();
    await update(poolId, 'ada', { email: 'ada@new.example.com' });
    expect((await getUser(poolId, 'ada')).attributes).toMatchObject({
      email: 'ada@new.example.com',
      email_verified: 'false',
    });
    await update(poolId, 'ada', { email: 'ada@other.example.com', email_verified: 'true' });
    expect((await getUser(poolId, 'ada')).attributes).toMatchObject({
      email: 'ada@other.example.com',
      email_verified: 'true',
    });
  });

  it('never unverifies an attribute the call does not name, nor one written again unchanged', async () => {
    const poolId = await poolWithAda();
    await update(poolId, 'ada', { phone_number: '+15550199', given_name: 'Augusta' });
    expect((await getUser(poolId, 'ada')).attributes.email_verified).toBe('true');
    await update(poolId, 'ada', { email: 'ada@example.com' });
    expect((await getUser(poolId, 'ada')).attributes.email_verified).toBe('true');
    await withKnobs({ sameValueUnverifies: true }, async () => {
      await update(poolId, 'ada', { email: 'ada@example.com' });
      expect((await getUser(poolId, 'ada')).attributes.email_verified).toBe('false');
    });
  });

  it('verifies the current email when the call sets only email_verified, and refuses it without an email', async () => {
    const poolId = await poolWithAda();
    await update(poolId, 'ada', { phone_number_verified: 'true' });
    expect((await getUser(poolId, 'ada')).attributes.phone_number_verified).toBe('true');
    await update(poolId, 'ada', { email: '' });
    const user = await getUser(poolId, 'ada');
    expect(user.attributes.email).toBeUndefined();
    expect(user.attributes.email_verified).toBeUndefined();
    expect((await failure(update(poolId, 'ada', { email_verified: 'true' }))).name).toBe(
      'InvalidParameterException',
    );
  });

  it("leaves the flag as it was in a pool that does not verify the attribute, with the 'auto-verified' reading", async () => {
    const poolId = await poolWithAda({ AutoVerifiedAttributes: ['email'] });
    await withKnobs({ contactUpdateUnverifies: 'auto-verified' }, async () => {
      await update(poolId, 'ada', { phone_number_verified: 'true' });
      await update(poolId, 'ada', { phone_number: '+15550199', email: 'ada@new.example.com' });
      expect((await getUser(poolId, 'ada')).attributes).toMatchObject({
        phone_number: '+15550199',
        phone_number_verified: 'true',
        email: 'ada@new.example.com',
        email_verified: 'false',
      });
    });
  });

  it('keeps the old email while the pool requires verification before an update, unless the call verifies the new one', async () => {
    const poolId = await poolWithAda({
      UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
    });
    await update(poolId, 'ada', { email: 'ada@new.example.com', given_name: 'Augusta' });
    expect((await getUser(poolId, 'ada')).attributes).toMatchObject({
      email: 'ada@example.com',
      email_verified: 'true',
      given_name: 'Augusta',
    });
    await update(poolId, 'ada', { email: 'ada@new.example.com', email_verified: 'true' });
    expect((await getUser(poolId, 'ada')).attributes).toMatchObject({
      email: 'ada@new.example.com',
      email_verified: 'true',
    });
  });
});

describe('developer-only attributes', () => {
  it('are written under the name DescribeUserPool gives them, not as custom:', async () => {
    const poolId = await poolWithAda({
      Schema: [{ Name: 'internal', AttributeDataType: 'String', DeveloperOnlyAttribute: true }],
    });
    await update(poolId, 'ada', { 'dev:custom:internal': 'x1' });
    expect((await getUser(poolId, 'ada')).attributes['dev:custom:internal']).toBe('x1');
    expect(await failure(update(poolId, 'ada', { 'custom:internal': 'x2' }))).toEqual({
      name: 'InvalidParameterException',
      message: 'user.custom:internal: Attribute does not exist in the schema.',
    });
  });
});

describe('sign-in names', () => {
  it('moves the sign-in name of an email-username pool with the email, and refuses one another user has', async () => {
    const poolId = await poolWithAda(
      { UsernameAttributes: ['email'] },
      'grace,grace@example.com,true,+15550101,false,Grace',
    );
    expect(
      await failure(update(poolId, 'ada@example.com', { email: 'grace@example.com' })),
    ).toEqual({
      name: 'AliasExistsException',
      message: 'An account with the given email already exists.',
    });
    await update(poolId, 'ada@example.com', {
      email: 'ada@new.example.com',
      email_verified: 'true',
    });
    expect((await getUser(poolId, 'ada@new.example.com')).attributes.given_name).toBe('Ada');
    expect((await failure(getUser(poolId, 'ada@example.com'))).name).toBe('UserNotFoundException');
  });

  it('takes a verified email alias from the user who held it, or refuses, per the knob', async () => {
    const poolId = await poolWithAda({ AliasAttributes: ['email'] });
    const other = await importCsv(
      f,
      poolId,
      `${HEADER}\ngrace,grace@example.com,true,+15550101,false,Grace`,
    );
    expect(other.ImportedUsers).toBe(1);
    await withKnobs({ aliasUpdateConflict: 'AliasExistsException' }, async () => {
      expect(
        (
          await failure(
            update(poolId, 'ada', { email: 'grace@example.com', email_verified: 'true' }),
          )
        ).name,
      ).toBe('AliasExistsException');
    });
    // Unverified, it is no alias and takes nothing.
    await update(poolId, 'ada', { email: 'grace@example.com' });
    expect((await getUser(poolId, 'grace')).attributes.email_verified).toBe('true');
    await update(poolId, 'ada', { email_verified: 'true' });
    expect((await getUser(poolId, 'grace')).attributes.email_verified).toBe('false');
    expect((await getUser(poolId, 'grace@example.com')).Username).toBe('ada');
  });
});
