import { randomBytes } from 'node:crypto';

/**
 * The credentials the twin hands out, one set per principal that assumes a role (each function
 * it runs, as Lambda hands each function its execution role's temporary credentials). The twin
 * keeps their secrets, so it can check their signatures; keys it did not issue it cannot check.
 */

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** A role session: who signs with a set of issued credentials. */
export interface RoleSession {
  roleName: string;
  roleArn: string;
  /** The session name: for a function, its name, as Lambda names its sessions. */
  sessionName: string;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`, the ARN AWS names in a denial. */
  principalArn: string;
  credentials: Credentials;
}

/**
 * Temporary access keys start ASIA; the twin's carry TWIN next, so a key of a twin that no
 * longer runs (a stale client) is refused as unknown rather than taken for someone else's.
 */
export const TWIN_KEY_PREFIX = 'ASIATWIN';
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

const randomKeyId = () =>
  TWIN_KEY_PREFIX + Array.from(randomBytes(12), (byte) => BASE32[byte % 32]).join('');

export const isTwinKey = (accessKeyId: string) => accessKeyId.startsWith(TWIN_KEY_PREFIX);

export class Identities {
  private readonly account: string;
  private readonly sessions = new Map<string, RoleSession>();

  constructor(account: string) {
    this.account = account;
  }

  /** New credentials for a session of a role (as sts:AssumeRole gives them). */
  issue(role: { name: string; arn: string }, sessionName: string): RoleSession {
    const session: RoleSession = {
      roleName: role.name,
      roleArn: role.arn,
      sessionName,
      principalArn: `arn:aws:sts::${this.account}:assumed-role/${role.name}/${sessionName}`,
      credentials: {
        accessKeyId: randomKeyId(),
        secretAccessKey: randomBytes(30).toString('base64'),
        sessionToken: randomBytes(48).toString('base64'),
      },
    };
    this.sessions.set(session.credentials.accessKeyId, session);
    return session;
  }

  byAccessKey(accessKeyId: string): RoleSession | undefined {
    return this.sessions.get(accessKeyId);
  }
}
