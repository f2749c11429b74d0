import { randomBytes } from 'node:crypto';
import { DEFAULT_PASSWORD_POLICY } from './auth/passwords.ts';
import {
  checkRequest,
  MaxResults,
  type MemberRule,
  PaginationKey,
  ResourceArn,
  type Shape,
  UserPoolId,
} from './constraints.ts';
import { DOCUMENTED_CSV_HEADER } from './csv-header.ts';
import { invalidParameter, resourceNotFound, ServiceError } from './errors.ts';
import type { Knobs } from './knobs.ts';
import { ACTIVE_STATUSES, type Pool, type SchemaAttribute } from './model.ts';
import { echoedMembers, requestModel, structureModel } from './service-model.ts';
import type { CognitoStore } from './store.ts';

const text = (Name: string, extra: Partial<SchemaAttribute> = {}): SchemaAttribute => ({
  Name,
  AttributeDataType: 'String',
  DeveloperOnlyAttribute: false,
  Mutable: true,
  Required: false,
  StringAttributeConstraints: { MinLength: '0', MaxLength: '2048' },
  ...extra,
});

/** The standard attributes every pool has, as DescribeUserPool lists them. */
function standardSchema(): SchemaAttribute[] {
  return [
    text('sub', {
      Mutable: false,
      Required: true,
      StringAttributeConstraints: { MinLength: '1', MaxLength: '2048' },
    }),
    ...[
      'name',
      'given_name',
      'family_name',
      'middle_name',
      'nickname',
      'preferred_username',
      'profile',
      'picture',
      'website',
      'email',
    ].map((n) => text(n)),
    {
      Name: 'email_verified',
      AttributeDataType: 'Boolean',
      DeveloperOnlyAttribute: false,
      Mutable: true,
      Required: false,
    },
    text('gender'),
    text('birthdate', { StringAttributeConstraints: { MinLength: '10', MaxLength: '10' } }),
    text('zoneinfo'),
    text('locale'),
    text('phone_number'),
    {
      Name: 'phone_number_verified',
      AttributeDataType: 'Boolean',
      DeveloperOnlyAttribute: false,
      Mutable: true,
      Required: false,
    },
    text('address'),
    {
      Name: 'updated_at',
      AttributeDataType: 'Number',
      DeveloperOnlyAttribute: false,
      Mutable: true,
      Required: false,
      NumberAttributeConstraints: { MinValue: '0' },
    },
    text('identities'),
  ];
}

const STANDARD_NAMES = new Set(standardSchema().map((a) => a.Name));

const schemaAttributeShape: Shape = {
  Name: { type: 'string', min: 1, max: 20, pattern: /[\p{L}\p{M}\p{S}\p{N}\p{P}]+/u },
  AttributeDataType: { type: 'string', enum: ['String', 'Number', 'DateTime', 'Boolean'] },
  DeveloperOnlyAttribute: { type: 'boolean' },
  Mutable: { type: 'boolean' },
  Required: { type: 'boolean' },
  NumberAttributeConstraints: {
    type: 'structure',
    members: { MinValue: { type: 'string' }, MaxValue: { type: 'string' } },
  },
  StringAttributeConstraints: {
    type: 'structure',
    members: { MinLength: { type: 'string' }, MaxLength: { type: 'string' } },
  },
};

const VISIBLE = '\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}';
const smsMessage: MemberRule = { type: 'string', min: 6, max: 140, pattern: /.*\{####\}.*/ };
const emailMessage: MemberRule = {
  type: 'string',
  min: 6,
  max: 20_000,
  pattern: new RegExp(`[${VISIBLE}\\s*]*\\{####\\}[${VISIBLE}\\s*]*`, 'u'),
};
const emailSubject: MemberRule = {
  type: 'string',
  min: 1,
  max: 140,
  pattern: new RegExp(`[${VISIBLE}\\s]+`, 'u'),
};
const emailMessageByLink: MemberRule = {
  type: 'string',
  min: 6,
  max: 20_000,
  pattern: new RegExp(`[${VISIBLE}\\s*]*\\{##[${VISIBLE}\\s*]*##\\}[${VISIBLE}\\s*]*`, 'u'),
};
export const FIRST_AUTH_FACTORS = ['PASSWORD', 'EMAIL_OTP', 'SMS_OTP', 'WEB_AUTHN'] as const;

const createShape: Shape = {
  PoolName: { type: 'string', required: true, min: 1, max: 128, pattern: /[\w\s+=,.@-]+/ },
  Policies: {
    type: 'structure',
    members: {
      PasswordPolicy: {
        type: 'structure',
        members: {
          MinimumLength: { type: 'integer', min: 6, max: 99 },
          RequireUppercase: { type: 'boolean' },
          RequireLowercase: { type: 'boolean' },
          RequireNumbers: { type: 'boolean' },
          RequireSymbols: { type: 'boolean' },
          PasswordHistorySize: { type: 'integer', min: 0, max: 24 },
          TemporaryPasswordValidityDays: { type: 'integer', min: 0, max: 365 },
        },
      },
      SignInPolicy: {
        type: 'structure',
        members: {
          AllowedFirstAuthFactors: {
            type: 'list',
            items: { type: 'string', enum: FIRST_AUTH_FACTORS },
          },
        },
      },
    },
  },
  SmsVerificationMessage: smsMessage,
  SmsAuthenticationMessage: smsMessage,
  EmailVerificationMessage: emailMessage,
  EmailVerificationSubject: emailSubject,
  VerificationMessageTemplate: {
    type: 'structure',
    members: {
      SmsMessage: smsMessage,
      EmailMessage: emailMessage,
      EmailSubject: emailSubject,
      EmailMessageByLink: emailMessageByLink,
      EmailSubjectByLink: emailSubject,
      DefaultEmailOption: { type: 'string', enum: ['CONFIRM_WITH_LINK', 'CONFIRM_WITH_CODE'] },
    },
  },
  UserPoolTier: { type: 'string', enum: ['LITE', 'ESSENTIALS', 'PLUS'] },
  Schema: {
    type: 'list',
    min: 1,
    max: 50,
    items: { type: 'structure', members: schemaAttributeShape },
  },
  AutoVerifiedAttributes: {
    type: 'list',
    items: { type: 'string', enum: ['phone_number', 'email'] },
  },
  UsernameAttributes: { type: 'list', items: { type: 'string', enum: ['phone_number', 'email'] } },
  AliasAttributes: {
    type: 'list',
    items: { type: 'string', enum: ['phone_number', 'email', 'preferred_username'] },
  },
  MfaConfiguration: { type: 'string', enum: ['OFF', 'ON', 'OPTIONAL'] },
  UsernameConfiguration: {
    type: 'structure',
    members: { CaseSensitive: { type: 'boolean', required: true } },
  },
  DeletionProtection: { type: 'string', enum: ['ACTIVE', 'INACTIVE'] },
  UserPoolTags: { type: 'structure' },
};

/** "A user pool can have as many as 50 tags" (TagResource's documentation). */
const MAX_TAGS = 50;

/**
 * A UserPoolTagsType map, checked as the model states it: keys of 1 to 128 characters, string
 * values of up to 256.
 *
 * @throws ServiceError InvalidParameterException naming the first bad entry.
 */
function tagMap(value: unknown, path: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [key, tagValue] of Object.entries((value ?? {}) as Record<string, unknown>)) {
    if (key.length < 1 || key.length > 128)
      throw invalidParameter(
        `1 validation error detected: Value at '${path}' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]`,
      );
    if (typeof tagValue !== 'string' || tagValue.length > 256)
      throw invalidParameter(
        `1 validation error detected: Value at '${path}' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 0]`,
      );
    tags[key] = tagValue;
  }
  return tags;
}

function checkTagCount(tags: Record<string, string>): void {
  if (Object.keys(tags).length > MAX_TAGS)
    throw invalidParameter(`A user pool can have at most ${MAX_TAGS} tags.`);
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export function randomId(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += ALNUM[byte % ALNUM.length];
  return out;
}

const toNumber = (value: string | undefined) => (value === undefined ? undefined : Number(value));

function customAttribute(input: Record<string, unknown>): SchemaAttribute {
  const type =
    (input.AttributeDataType as SchemaAttribute['AttributeDataType'] | undefined) ?? 'String';
  const name = `custom:${String(input.Name)}`;
  const attribute: SchemaAttribute = {
    Name: name,
    AttributeDataType: type,
    DeveloperOnlyAttribute: Boolean(input.DeveloperOnlyAttribute),
    Mutable: input.Mutable === undefined ? true : Boolean(input.Mutable),
    Required: false,
  };
  if (input.Required === true)
    throw invalidParameter('Required custom attributes are not supported currently.');
  if (type === 'String') {
    const c = (input.StringAttributeConstraints ?? {}) as {
      MinLength?: string;
      MaxLength?: string;
    };
    const min = toNumber(c.MinLength) ?? 0;
    const max = toNumber(c.MaxLength) ?? 2048;
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max > 2048 || min > max)
      throw invalidParameter(
        `Invalid StringAttributeConstraints for ${name}: MinLength and MaxLength must be integers with 0 <= MinLength <= MaxLength <= 2048.`,
      );
    attribute.StringAttributeConstraints = { MinLength: String(min), MaxLength: String(max) };
  }
  if (type === 'Number') {
    const c = (input.NumberAttributeConstraints ?? {}) as { MinValue?: string; MaxValue?: string };
    const min = toNumber(c.MinValue);
    const max = toNumber(c.MaxValue);
    if (
      (min !== undefined && !Number.isFinite(min)) ||
      (max !== undefined && !Number.isFinite(max)) ||
      (min !== undefined && max !== undefined && min > max)
    )
      throw invalidParameter(`Invalid NumberAttributeConstraints for ${name}.`);
    attribute.NumberAttributeConstraints = {
      ...(c.MinValue !== undefined ? { MinValue: c.MinValue } : {}),
      ...(c.MaxValue !== undefined ? { MaxValue: c.MaxValue } : {}),
    };
  }
  return attribute;
}

/** The pool operations the pipeline and a person need around import jobs. */
export class PoolService {
  private readonly store: CognitoStore;
  private readonly knobs: Knobs;
  private readonly account: string;
  private readonly now: () => number;

  constructor(store: CognitoStore, knobs: Knobs, account: string, now: () => number) {
    this.store = store;
    this.knobs = knobs;
    this.account = account;
    this.now = now;
  }

  /** A pool's tags, or undefined when there is no such pool (what IAM sees as aws:ResourceTag). */
  tagsOf(id: string): Record<string, string> | undefined {
    const pool = this.store.getPool(id);
    return pool ? { ...pool.tags } : undefined;
  }

  requirePool(id: string): Pool {
    const pool = this.store.getPool(id);
    if (!pool) throw resourceNotFound(`User pool ${id} does not exist.`);
    return pool;
  }

  createUserPool(input: Record<string, unknown>, region: string) {
    checkRequest(input, createShape);
    const schema = standardSchema();
    const customs: SchemaAttribute[] = [];
    for (const entry of (input.Schema ?? []) as Record<string, unknown>[]) {
      const name = String(entry.Name);
      const standard = schema.find((a) => a.Name === name);
      if (standard) {
        if (entry.Required === true) standard.Required = true;
        if (entry.Mutable === false) standard.Mutable = false;
        continue;
      }
      if (name.startsWith('custom:') || name.startsWith('dev:'))
        throw invalidParameter(
          `Attribute name ${name} is invalid: give custom attribute names without the custom: prefix.`,
        );
      if (customs.some((c) => c.Name === `custom:${name}`))
        throw invalidParameter(`Duplicate attribute name: ${name}`);
      customs.push(customAttribute(entry));
    }
    if (customs.length > 50)
      throw invalidParameter('A user pool can have at most 50 custom attributes.');
    const usernameAttributes = (input.UsernameAttributes ?? []) as string[];
    const aliasAttributes = (input.AliasAttributes ?? []) as string[];
    if (usernameAttributes.length > 0 && aliasAttributes.length > 0)
      throw invalidParameter(
        'Only one of AliasAttributes and UsernameAttributes can be set in a User Pool.',
      );
    const tags = tagMap(input.UserPoolTags, 'userPoolTags');
    checkTagCount(tags);
    const id = `${region}_${randomId(9)}`;
    const now = this.now();
    const echo = echoedMembers(input, CREATE_REQUEST(), USER_POOL_TYPE(), ACTED_ON);
    echo.Policies = this.policiesFrom(input.Policies as Policies | undefined);
    const pool: Pool = {
      id,
      name: String(input.PoolName),
      arn: `arn:aws:cognito-idp:${region}:${this.account}:userpool/${id}`,
      createdMs: now,
      modifiedMs: now,
      schema: [...schema, ...customs],
      autoVerifiedAttributes: [...new Set((input.AutoVerifiedAttributes ?? []) as string[])],
      usernameAttributes,
      aliasAttributes,
      mfaConfiguration: (input.MfaConfiguration as Pool['mfaConfiguration'] | undefined) ?? 'OFF',
      // Pools created through the API without a UsernameConfiguration are case-sensitive.
      caseSensitive:
        (input.UsernameConfiguration as { CaseSensitive?: boolean } | undefined)?.CaseSensitive ??
        true,
      deletionProtection:
        (input.DeletionProtection as Pool['deletionProtection'] | undefined) ?? 'INACTIVE',
      tags,
      echo,
    };
    this.store.putPool(pool);
    return { UserPool: this.describe(pool) };
  }

  /**
   * The pool's Policies as Cognito keeps them: always a complete PasswordPolicy. Without one in
   * the request, Cognito's defaults; with one, the members left out are off (or the defaults, per
   * the `omittedPasswordRules` knob), and a TemporaryPasswordValidityDays of 0 means the default.
   */
  private policiesFrom(given: Policies | undefined): Policies {
    const policy = given?.PasswordPolicy;
    const omitted = this.knobs.omittedPasswordRules === 'on';
    const rule = (value: boolean | undefined) => value ?? omitted;
    return {
      ...given,
      PasswordPolicy: policy
        ? {
            MinimumLength: policy.MinimumLength ?? DEFAULT_PASSWORD_POLICY.MinimumLength,
            RequireUppercase: rule(policy.RequireUppercase),
            RequireLowercase: rule(policy.RequireLowercase),
            RequireNumbers: rule(policy.RequireNumbers),
            RequireSymbols: rule(policy.RequireSymbols),
            ...(policy.PasswordHistorySize !== undefined
              ? { PasswordHistorySize: policy.PasswordHistorySize }
              : {}),
            TemporaryPasswordValidityDays:
              policy.TemporaryPasswordValidityDays ||
              DEFAULT_PASSWORD_POLICY.TemporaryPasswordValidityDays,
          }
        : { ...DEFAULT_PASSWORD_POLICY },
    };
  }

  attributeName(attribute: SchemaAttribute): string {
    return attributeName(attribute, this.knobs);
  }

  describe(pool: Pool) {
    const { Policies: stored, ...echo } = pool.echo;
    // Pools kept by an older twin may hold a partial policy: it is completed the same way.
    const policies = this.policiesFrom(stored as Policies | undefined);
    return {
      Id: pool.id,
      Name: pool.name,
      Arn: pool.arn,
      Policies: policies,
      DeletionProtection: pool.deletionProtection,
      LambdaConfig: {},
      LastModifiedDate: pool.modifiedMs / 1000,
      CreationDate: pool.createdMs / 1000,
      SchemaAttributes: pool.schema.map((attribute) => ({
        ...attribute,
        Name: this.attributeName(attribute),
      })),
      AutoVerifiedAttributes: pool.autoVerifiedAttributes,
      ...(pool.usernameAttributes.length ? { UsernameAttributes: pool.usernameAttributes } : {}),
      ...(pool.aliasAttributes.length ? { AliasAttributes: pool.aliasAttributes } : {}),
      MfaConfiguration: pool.mfaConfiguration,
      EstimatedNumberOfUsers: this.store.countUsers(pool.id),
      UsernameConfiguration: { CaseSensitive: pool.caseSensitive },
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false, UnusedAccountValidityDays: 7 },
      // New pools are on the Essentials plan unless the request names another.
      UserPoolTier: 'ESSENTIALS',
      UserPoolTags: { ...pool.tags },
      ...echo,
    };
  }

  describeUserPool(input: Record<string, unknown>) {
    checkRequest(input, { UserPoolId });
    return { UserPool: this.describe(this.requirePool(String(input.UserPoolId))) };
  }

  /** The pools of the Region the request was signed for: pools are regional, as on AWS. */
  listUserPools(input: Record<string, unknown>, region: string) {
    checkRequest(input, {
      MaxResults: { ...MaxResults, required: true },
      NextToken: PaginationKey,
    });
    const after = input.NextToken ? decodeToken(String(input.NextToken)) : 0;
    const page = this.store.listPools(after, Number(input.MaxResults), `${region}_`);
    return {
      UserPools: page.pools.map((pool) => ({
        Id: pool.id,
        Name: pool.name,
        LambdaConfig: {},
        LastModifiedDate: pool.modifiedMs / 1000,
        CreationDate: pool.createdMs / 1000,
      })),
      ...(page.more ? { NextToken: encodeToken(page.lastSeq) } : {}),
    };
  }

  deleteUserPool(input: Record<string, unknown>, onDeleted: (poolId: string) => void) {
    checkRequest(input, { UserPoolId });
    const pool = this.requirePool(String(input.UserPoolId));
    if (pool.deletionProtection === 'ACTIVE')
      throw invalidParameter(
        'The user pool cannot be deleted because deletion protection is activated.',
      );
    if (this.store.jobsWithStatus(ACTIVE_STATUSES).some((job) => job.userPoolId === pool.id))
      throw new ServiceError(
        'UserImportInProgressException',
        'The user pool cannot be deleted while a user import job is in progress.',
      );
    this.store.tx(() => this.store.deletePool(pool.id));
    onDeleted(pool.id);
    return {};
  }

  /** The pool a tagging request names by its ARN; only user pools carry tags. */
  private poolByArn(arn: string): Pool {
    const id = /^arn:[\w-]+:cognito-idp:[\w-]*:\d+:userpool\/([\w-]+_[0-9a-zA-Z]+)$/.exec(arn)?.[1];
    const pool = id ? this.store.getPool(id) : undefined;
    if (!pool || pool.arn !== arn) throw resourceNotFound(`The resource ${arn} does not exist.`);
    return pool;
  }

  tagResource(input: Record<string, unknown>) {
    checkRequest(input, {
      ResourceArn: { ...ResourceArn, required: true },
      Tags: { type: 'structure', required: true },
    });
    const pool = this.poolByArn(String(input.ResourceArn));
    const tags = { ...pool.tags, ...tagMap(input.Tags, 'tags') };
    checkTagCount(tags);
    this.store.tx(() => this.store.putPool({ ...pool, tags }));
    return {};
  }

  untagResource(input: Record<string, unknown>) {
    checkRequest(input, {
      ResourceArn: { ...ResourceArn, required: true },
      TagKeys: { type: 'list', required: true, items: { type: 'string', min: 1, max: 128 } },
    });
    const pool = this.poolByArn(String(input.ResourceArn));
    const tags = { ...pool.tags };
    for (const key of input.TagKeys as string[]) delete tags[key];
    this.store.tx(() => this.store.putPool({ ...pool, tags }));
    return {};
  }

  listTagsForResource(input: Record<string, unknown>) {
    checkRequest(input, { ResourceArn: { ...ResourceArn, required: true } });
    return { Tags: { ...this.poolByArn(String(input.ResourceArn)).tags } };
  }

  /**
   * The columns an import CSV for this pool may have (docs/cognito-behaviour.md, "The CSV
   * header"): the documented ones and the custom attributes; developer-only ones per the knob.
   */
  csvHeader(pool: Pool): string[] {
    const customs = pool.schema
      .filter((a) => a.Name.startsWith('custom:'))
      .filter((a) => !a.DeveloperOnlyAttribute || this.knobs.headerListsDeveloperAttributes)
      .map((a) => this.attributeName(a));
    const documented = [...DOCUMENTED_CSV_HEADER];
    const header =
      this.knobs.customColumns === 'start'
        ? [...customs, ...documented]
        : [...documented, ...customs];
    if (this.knobs.headerListsPasswordHash) header.push('password_hash');
    return header;
  }

  getCSVHeader(input: Record<string, unknown>) {
    checkRequest(input, { UserPoolId });
    const pool = this.requirePool(String(input.UserPoolId));
    return { UserPoolId: pool.id, CSVHeader: this.csvHeader(pool) };
  }
}

interface Policies {
  PasswordPolicy?: {
    MinimumLength?: number;
    RequireUppercase?: boolean;
    RequireLowercase?: boolean;
    RequireNumbers?: boolean;
    RequireSymbols?: boolean;
    PasswordHistorySize?: number;
    TemporaryPasswordValidityDays?: number;
  };
  SignInPolicy?: { AllowedFirstAuthFactors?: string[] };
}

const CREATE_REQUEST = () => requestModel('cognito-idp', 'CreateUserPool');
const USER_POOL_TYPE = () => structureModel('cognito-idp', 'UserPoolType');
/** CreateUserPool members the twin reads itself; the rest of the model's members are echoed. */
const ACTED_ON: ReadonlySet<string> = new Set([
  'PoolName',
  'Schema',
  'AutoVerifiedAttributes',
  'UsernameAttributes',
  'AliasAttributes',
  'MfaConfiguration',
  'UsernameConfiguration',
  'DeletionProtection',
  'Policies',
  'UserPoolTags',
]);

/** The name DescribeUserPool and GetCSVHeader give an attribute (developer-only ones: `dev:`). */
export function attributeName(
  attribute: SchemaAttribute,
  knobs: Pick<Knobs, 'developerAttributePrefix'>,
): string {
  if (!attribute.DeveloperOnlyAttribute || !attribute.Name.startsWith('custom:'))
    return attribute.Name;
  return knobs.developerAttributePrefix === 'dev:custom:'
    ? `dev:${attribute.Name}`
    : `dev:${attribute.Name.slice('custom:'.length)}`;
}

export function isStandardAttribute(name: string): boolean {
  return STANDARD_NAMES.has(name);
}

function encodeToken(seq: number): string {
  return Buffer.from(`pools#${seq}`).toString('base64url');
}

function decodeToken(token: string): number {
  const match = /^pools#(\d+)$/.exec(Buffer.from(token, 'base64url').toString());
  if (!match) throw invalidParameter('Invalid pagination token.');
  return Number(match[1]);
}
