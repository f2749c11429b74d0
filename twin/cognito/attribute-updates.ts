import { checkRequest, type MemberRule, StringMap, Username, UserPoolId } from './constraints.ts';
import { invalidParameter, ServiceError } from './errors.ts';
import type { Knobs } from './knobs.ts';
import type { Pool, SchemaAttribute, StoredUser } from './model.ts';
import { attributeName, type PoolService } from './pools.ts';
import type { CognitoStore, IndexedAttribute } from './store.ts';
import { findUser, signInNames, verifiedFor } from './users.ts';

/** AttributeListType: names of 1 to 32 characters, values of up to 2,048. */
const UserAttributes: MemberRule = {
  type: 'list',
  required: true,
  items: {
    type: 'structure',
    members: {
      Name: {
        type: 'string',
        required: true,
        min: 1,
        max: 32,
        pattern: /[\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\r ]+/u,
      },
      Value: { type: 'string', max: 2048, sensitive: true },
    },
  },
};

/** The attributes a user is reached at, each with the flag that says it is verified. */
const CONTACTS = ['email', 'phone_number'] as const;
type Contact = (typeof CONTACTS)[number];
const FLAGS: ReadonlySet<string> = new Set(CONTACTS.map((c) => `${c}_verified`));

const aliasExists = (attribute: string) =>
  new ServiceError(
    'AliasExistsException',
    `An account with the given ${attribute} already exists.`,
  );

/** The value a schema attribute may hold, or what is wrong with it (the twin's wording). */
function valueProblem(
  attribute: SchemaAttribute,
  name: string,
  value: string,
  knobs: Knobs,
): string | undefined {
  if (name === 'phone_number' && !/^\+[0-9]+$/.test(value)) return 'Invalid phone number format.';
  if (name === 'email' && knobs.checkEmailFormat && !/^[^@\s]+@[^@\s]+$/.test(value))
    return 'Invalid email address format.';
  switch (attribute.AttributeDataType) {
    case 'Boolean':
      return /^(true|false)$/i.test(value) ? undefined : 'The value must be true or false.';
    case 'Number': {
      const { MinValue, MaxValue } = attribute.NumberAttributeConstraints ?? {};
      if (!/^-?\d+$/.test(value)) return 'The value must be a number.';
      if (
        (MinValue !== undefined && Number(value) < Number(MinValue)) ||
        (MaxValue !== undefined && Number(value) > Number(MaxValue))
      )
        return 'The value is out of the allowed range.';
      return undefined;
    }
    case 'String': {
      const { MinLength, MaxLength } = attribute.StringAttributeConstraints ?? {};
      if (
        (MinLength !== undefined && value.length < Number(MinLength)) ||
        (MaxLength !== undefined && value.length > Number(MaxLength))
      )
        return 'The length of the value is out of the allowed range.';
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * AdminUpdateUserAttributes (docs/cognito-behaviour.md, "Attribute updates"): the attributes the
 * call names change and the others stay; a blank value deletes one. `sub`, immutable attributes
 * and names the pool's schema lacks are refused, each problem on a line of one
 * InvalidParameterException, before anything changes. A new email or phone number is unverified
 * unless the call verifies it, or is held back while the pool requires verification before an
 * update; its status and username never change. One transaction per call.
 */
export class AttributeUpdateService {
  private readonly store: CognitoStore;
  private readonly pools: PoolService;
  private readonly knobs: Knobs;
  private readonly now: () => number;

  constructor(deps: {
    store: CognitoStore;
    pools: PoolService;
    knobs: Knobs;
    now: () => number;
  }) {
    this.store = deps.store;
    this.pools = deps.pools;
    this.knobs = deps.knobs;
    this.now = deps.now;
  }

  adminUpdateUserAttributes(input: Record<string, unknown>) {
    checkRequest(input, { UserPoolId, Username, UserAttributes, ClientMetadata: StringMap });
    const pool = this.pools.requirePool(String(input.UserPoolId));
    const given = new Map<string, string>();
    const problems: string[] = [];
    for (const entry of input.UserAttributes as { Name: string; Value?: string }[]) {
      const name = entry.Name;
      const value = entry.Value ?? '';
      const problem = given.has(name)
        ? 'The attribute is given more than once.'
        : this.problem(pool, name, value);
      if (problem) problems.push(`user.${name}: ${problem}`);
      const attribute = this.schemaAttribute(pool, name);
      given.set(name, attribute?.AttributeDataType === 'Boolean' ? value.toLowerCase() : value);
    }
    if (problems.length > 0) throw invalidParameter(problems.join('\n'));
    this.store.tx(() => {
      const found = findUser(this.store, pool, String(input.Username));
      if (!found) throw new ServiceError('UserNotFoundException', 'User does not exist.');
      const { key, user } = found;
      const next = this.nextAttributes(pool, user.attributes, given);
      this.claimSignInNames(pool, key, user.attributes, next);
      this.store.putUser(
        pool.id,
        key,
        { ...user, attributes: next, modifiedMs: this.now() },
        { names: signInNames(pool, next) },
      );
    });
    return {};
  }

  private schemaAttribute(pool: Pool, name: string): SchemaAttribute | undefined {
    return pool.schema.find((attribute) => attributeName(attribute, this.knobs) === name);
  }

  /** What is wrong with setting (or, blank, deleting) one attribute, if anything. */
  private problem(pool: Pool, name: string, value: string): string | undefined {
    const attribute = this.schemaAttribute(pool, name);
    if (!attribute) return 'Attribute does not exist in the schema.';
    if (!attribute.Mutable) return 'Attribute cannot be updated.';
    if (value === '') {
      if (attribute.Required) return 'The attribute is required and cannot be deleted.';
      if (pool.usernameAttributes.includes(name))
        return 'The attribute signs the user in and cannot be deleted.';
      return undefined;
    }
    return valueProblem(attribute, name, value, this.knobs);
  }

  /** The user's attributes once the call's are applied, by the rules of the class comment. */
  private nextAttributes(
    pool: Pool,
    current: Record<string, string>,
    given: ReadonlyMap<string, string>,
  ): Record<string, string> {
    const next = { ...current };
    const set = (name: string, value: string) => {
      if (value === '') delete next[name];
      else next[name] = value;
    };
    for (const [name, value] of given)
      if (!FLAGS.has(name) && !(CONTACTS as readonly string[]).includes(name)) set(name, value);
    for (const contact of CONTACTS) {
      const flag = `${contact}_verified`;
      const value = given.get(contact);
      const verified = given.get(flag);
      if (value === '') {
        // No address, nothing to be verified.
        delete next[contact];
        delete next[flag];
        continue;
      }
      const rewritten =
        value !== undefined && (value !== current[contact] || this.knobs.sameValueUnverifies);
      if (!rewritten) {
        if (verified === 'true' && !next[contact])
          throw invalidParameter(`user.${flag}: The user has no ${contact} to verify.`);
        if (verified !== undefined) set(flag, verified);
        continue;
      }
      if (verified !== undefined) {
        next[contact] = value;
        set(flag, verified);
      } else if (this.heldForVerification(pool, contact) && current[contact]) {
        // The old value stays until the user verifies the new one; the twin sends no code.
      } else {
        next[contact] = value;
        if (
          this.knobs.contactUpdateUnverifies === 'always' ||
          pool.autoVerifiedAttributes.includes(contact)
        )
          next[flag] = 'false';
      }
    }
    return next;
  }

  /** The pool's UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate. */
  private heldForVerification(pool: Pool, contact: Contact): boolean {
    const settings = pool.echo.UserAttributeUpdateSettings as
      | { AttributesRequireVerificationBeforeUpdate?: string[] }
      | undefined;
    return settings?.AttributesRequireVerificationBeforeUpdate?.includes(contact) ?? false;
  }

  /**
   * One account per sign-in name: a new email or phone number of a UsernameAttributes pool that
   * another user signs in with is refused; a newly verified alias another user holds is taken
   * from them (their attribute becomes unverified) or refused, per the knob; a preferred_username
   * another user holds is refused.
   *
   * @throws ServiceError AliasExistsException
   */
  private claimSignInNames(
    pool: Pool,
    key: string,
    current: Record<string, string>,
    next: Record<string, string>,
  ): void {
    const others = (attribute: string, value: string) =>
      this.store
        .findUsersByAttribute(pool.id, attribute as IndexedAttribute, value, pool.caseSensitive, 50)
        .filter((hit) => hit.key !== key);
    for (const attribute of pool.usernameAttributes) {
      const value = next[attribute];
      if (value && value !== current[attribute] && others(attribute, value).length > 0)
        throw aliasExists(attribute);
    }
    for (const attribute of pool.aliasAttributes) {
      const value = next[attribute];
      if (!value || !verifiedFor(attribute, next)) continue;
      if (value === current[attribute] && verifiedFor(attribute, current)) continue;
      const holders = others(attribute, value).filter(({ user }) =>
        verifiedFor(attribute, user.attributes),
      );
      if (holders.length === 0) continue;
      if (attribute === 'preferred_username' || this.knobs.aliasUpdateConflict !== 'transfer')
        throw aliasExists(attribute);
      for (const holder of holders) this.unverify(pool, holder.key, holder.user, attribute);
    }
  }

  private unverify(pool: Pool, key: string, user: StoredUser, attribute: string): void {
    const attributes = { ...user.attributes, [`${attribute}_verified`]: 'false' };
    this.store.putUser(
      pool.id,
      key,
      { ...user, attributes, modifiedMs: this.now() },
      { names: signInNames(pool, attributes) },
    );
  }
}
