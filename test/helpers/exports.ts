/**
 * Exports made the way each provider makes them, with users whose passwords are known: the
 * hashes are computed here with the providers' own algorithms at low costs (bcrypt cost 4, small
 * argon2, few iterations), so that the suite stays fast. Hashes that must be refused for their
 * parameters are not computed (random bytes in the right shape): they never sign in anyway.
 */
import { pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { argon2id, bcrypt } from 'hash-wasm';

/** What a test expects of one exported user after the import. */
export interface ExpectedUser {
  username: string;
  password: string;
  /** Signs in with `password` (else: PasswordResetRequiredException). */
  keeps: boolean;
  /** The reset reason the report gives, for users who do not keep their password. */
  reason?: string;
}

export interface GeneratedExport {
  /** The export file (and, for Auth0, the password export). */
  file: Buffer;
  passwords?: Buffer;
  /** The users expected in the output. */
  users: ExpectedUser[];
  /** Ids of the users expected to be left out, with the reason. */
  leftOut: Record<string, string>;
}

const password = (name: string) => `${name[0]?.toUpperCase()}${name.slice(1)}-Pass-42!`;

/** bcrypt's alphabet, for hashes that are never computed. */
const BCRYPT_CHARS = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const fakeBcrypt = (cost: number, variant = '2b') =>
  `$${variant}$${String(cost).padStart(2, '0')}$${Array.from(
    randomBytes(53),
    (b) => BCRYPT_CHARS[b % 64],
  ).join('')}`;

export async function bcryptOf(plain: string, variant = '2b'): Promise<string> {
  const hash = await bcrypt({ password: plain, salt: randomBytes(16), costFactor: 4 });
  return hash.replace(/^\$2[aby]\$/, `$${variant}$`);
}

/** Small argon2id parameters: within Cognito's limits and quick to compute. */
export const ARGON2 = { m: 64, t: 1, p: 1 };

export async function argon2Raw(plain: string, salt: Buffer): Promise<Buffer> {
  return Buffer.from(
    await argon2id({
      password: plain,
      salt,
      iterations: ARGON2.t,
      memorySize: ARGON2.m,
      parallelism: ARGON2.p,
      hashLength: 32,
      outputType: 'binary',
    }),
  );
}

const oid = () => randomBytes(12).toString('hex');
const ndjson = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;

/** Auth0's user export (NDJSON, gzipped as Auth0 hands it out) and its password export. */
export async function auth0Export(): Promise<GeneratedExport> {
  const db = ['ada', 'grace', 'edsger'].map((name) => ({ name, id: oid() }));
  const costly = { name: 'costly', id: oid() };
  const nohash = { name: 'nohash', id: oid() };
  const user = (u: { name: string; id: string }, extra: Record<string, unknown> = {}) => ({
    user_id: `auth0|${u.id}`,
    email: `${u.name}@example.com`,
    email_verified: true,
    name: `${u.name} Example`,
    given_name: u.name,
    family_name: 'Example',
    nickname: u.name,
    picture: `https://example.com/${u.name}.png`,
    created_at: '2023-04-05T06:07:08.910Z',
    updated_at: '2024-01-02T03:04:05.678Z',
    ...extra,
  });
  const users = [
    ...db.map((u) => user(u)),
    user(costly),
    user(nohash),
    user({ name: 'social', id: '' }, { user_id: 'google-oauth2|1098765432109876543210' }),
    user({ name: 'saml', id: '' }, { user_id: 'samlp|corp-idp|jdoe@corp.example' }),
    user({ name: 'blocked', id: oid() }, { blocked: true }),
    user({ name: 'unverified', id: oid() }, { email_verified: false }),
  ];
  const hashRow = (u: { name: string; id: string }, hash: string) => ({
    _id: { $oid: u.id },
    email_verified: true,
    email: `${u.name}@example.com`,
    passwordHash: hash,
    password_set_date: { $date: '2023-04-05T06:07:08.910Z' },
    tenant: 'example-tenant',
    connection: 'Username-Password-Authentication',
    _tmp_is_unique: true,
  });
  const hashes = [
    ...(await Promise.all(db.map(async (u) => hashRow(u, await bcryptOf(password(u.name)))))),
    hashRow(costly, fakeBcrypt(13)),
    hashRow({ name: 'orphan', id: oid() }, fakeBcrypt(10)),
  ];
  return {
    file: gzipSync(ndjson(users)),
    passwords: Buffer.from(ndjson(hashes)),
    users: [
      ...db.map((u) => ({ username: `auth0|${u.id}`, password: password(u.name), keeps: true })),
      {
        username: `auth0|${costly.id}`,
        password: password('costly'),
        keeps: false,
        reason: 'bcrypt cost 13 > 12',
      },
      {
        username: `auth0|${nohash.id}`,
        password: password('nohash'),
        keeps: false,
        reason: 'no hash in the password export',
      },
    ],
    leftOut: {
      'google-oauth2|1098765432109876543210': 'not a database user (google-oauth2)',
      'samlp|corp-idp|jdoe@corp.example': 'not a database user (samlp)',
      [users[7]?.user_id as string]: 'blocked in Auth0',
      [users[8]?.user_id as string]: 'neither email nor phone number verified',
    },
  };
}

const keycloakCredential = (secret: unknown, data: unknown) => ({
  id: randomBytes(16).toString('hex'),
  type: 'password',
  userLabel: 'My password',
  createdDate: 1_700_000_000_000,
  secretData: JSON.stringify(secret),
  credentialData: JSON.stringify(data),
});

/** A Keycloak realm export whose users' passwords use several algorithms. */
export async function keycloakExport(): Promise<GeneratedExport> {
  const kcUser = (
    username: string,
    credentials: unknown[],
    extra: Record<string, unknown> = {},
  ) => ({
    id: randomBytes(16).toString('hex'),
    createdTimestamp: 1_700_000_000_000,
    username,
    enabled: true,
    totp: false,
    emailVerified: true,
    firstName: username,
    lastName: 'Keycloak',
    email: `${username}@example.com`,
    attributes: { locale: ['en'] },
    credentials,
    disableableCredentialTypes: [],
    requiredActions: [],
    realmRoles: ['default-roles-demo'],
    notBefore: 0,
    groups: [],
    ...extra,
  });
  // pbkdf2-sha256 as Keycloak stores it: 512-bit derived key, 16-byte salt, base64.
  const pbkdf2 = (name: string, iterations: number) => {
    const salt = randomBytes(16);
    const key = pbkdf2Sync(password(name), salt, iterations, 64, 'sha256');
    return keycloakCredential(
      { value: key.toString('base64'), salt: salt.toString('base64'), additionalParameters: {} },
      { hashIterations: iterations, algorithm: 'pbkdf2-sha256', additionalParameters: {} },
    );
  };
  const argon2 = async (
    name: string,
    params: { m: number; t: number; p: number },
    real: boolean,
  ) => {
    const salt = randomBytes(16);
    const hash = real ? await argon2Raw(password(name), salt) : randomBytes(32);
    return keycloakCredential(
      { value: hash.toString('base64'), salt: salt.toString('base64'), additionalParameters: {} },
      {
        hashIterations: params.t,
        algorithm: 'argon2',
        additionalParameters: {
          hashLength: ['32'],
          memory: [String(params.m)],
          type: ['id'],
          version: ['1.3'],
          parallelism: [String(params.p)],
        },
      },
    );
  };
  const users = [
    kcUser('pbkdf2.user', [pbkdf2('pbkdf2.user', 1000)]),
    kcUser('pbkdf2.user2', [pbkdf2('pbkdf2.user2', 27_500)]),
    kcUser('argon2.user', [await argon2('argon2.user', ARGON2, true)]),
    kcUser('argon2.default', [await argon2('argon2.default', { m: 7168, t: 5, p: 1 }, false)]),
    kcUser('bcrypt.user', [
      keycloakCredential(
        { value: await bcryptOf(password('bcrypt.user'), '2a') },
        { hashIterations: 4, algorithm: 'bcrypt' },
      ),
    ]),
    kcUser('sha512.user', [
      keycloakCredential(
        {
          value: pbkdf2Sync('x', 'salt', 10, 64, 'sha512').toString('base64'),
          salt: randomBytes(16).toString('base64'),
        },
        { hashIterations: 210_000, algorithm: 'pbkdf2-sha512', additionalParameters: {} },
      ),
    ]),
    kcUser('nopassword.user', []),
    kcUser('service-account-app', [], { serviceAccountClientId: 'app', email: undefined }),
    kcUser('google.user', [], {
      federatedIdentities: [{ identityProvider: 'google', userId: '123', userName: 'g' }],
    }),
  ];
  const realm = {
    id: 'demo',
    realm: 'demo',
    enabled: true,
    roles: { realm: [{ name: 'default-roles-demo', composite: true }] },
    clients: [{ clientId: 'app', protocol: 'openid-connect', attributes: { 'x.y': '[]{}"' } }],
    users,
    components: {},
  };
  return {
    file: Buffer.from(JSON.stringify(realm, null, 2)),
    users: [
      { username: 'pbkdf2.user', password: password('pbkdf2.user'), keeps: true },
      { username: 'pbkdf2.user2', password: password('pbkdf2.user2'), keeps: true },
      { username: 'argon2.user', password: password('argon2.user'), keeps: true },
      {
        username: 'argon2.default',
        password: password('argon2.default'),
        keeps: false,
        reason: 'argon2 t=5 > 2',
      },
      { username: 'bcrypt.user', password: password('bcrypt.user'), keeps: true },
      {
        username: 'sha512.user',
        password: password('sha512.user'),
        keeps: false,
        reason: 'pbkdf2-sha512 not supported',
      },
      {
        username: 'nopassword.user',
        password: password('nopassword.user'),
        keeps: false,
        reason: 'no password in the export',
      },
    ],
    leftOut: {
      [users[7]?.id as string]: 'service account',
      [users[8]?.id as string]: 'signs in through an identity provider (google)',
    },
  };
}

const SUPABASE_COLUMNS = [
  'instance_id',
  'id',
  'aud',
  'role',
  'email',
  'encrypted_password',
  'email_confirmed_at',
  'invited_at',
  'confirmation_token',
  'confirmation_sent_at',
  'recovery_token',
  'recovery_sent_at',
  'email_change_token_new',
  'email_change',
  'email_change_sent_at',
  'last_sign_in_at',
  'raw_app_meta_data',
  'raw_user_meta_data',
  'is_super_admin',
  'created_at',
  'updated_at',
  'phone',
  'phone_confirmed_at',
  'phone_change',
  'phone_change_token',
  'phone_change_sent_at',
  'confirmed_at',
  'email_change_token_current',
  'email_change_confirm_status',
  'banned_until',
  'reauthentication_token',
  'reauthentication_sent_at',
  'is_sso_user',
  'deleted_at',
  'is_anonymous',
];

/** A CSV field as PostgreSQL's COPY … CSV writes it: quoted only when it must be. */
export const pgCsv = (value: string | null) =>
  value === null
    ? ''
    : /[",\n\r]/.test(value) || value === ''
      ? `"${value.replace(/"/g, '""')}"`
      : value;

/** Supabase's auth.users, as `\copy (select * from auth.users) to … with csv header` writes it. */
export async function supabaseExport(): Promise<GeneratedExport> {
  const uuid = () => {
    const h = randomBytes(16).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
  const ts = '2024-05-06 07:08:09.123456+00';
  const row = (values: Record<string, string | null>) =>
    SUPABASE_COLUMNS.map((c) => pgCsv(c in values ? (values[c] as string | null) : null)).join(',');
  const base = (id: string, name: string) => ({
    instance_id: '00000000-0000-0000-0000-000000000000',
    id,
    aud: 'authenticated',
    role: 'authenticated',
    email: `${name}@example.com`,
    email_confirmed_at: ts,
    raw_app_meta_data: '{"provider": "email", "providers": ["email"]}',
    raw_user_meta_data: `{"full_name": "${name} Supa, Jr.", "avatar_url": "https://example.com/${name}.png"}`,
    is_super_admin: null,
    created_at: ts,
    updated_at: ts,
    confirmed_at: ts,
    is_sso_user: 'f',
    is_anonymous: 'f',
  });
  const ids = { ada: uuid(), linus: uuid(), magic: uuid(), google: uuid(), anon: uuid() };
  const rows = [
    row({
      ...base(ids.ada, 'ada'),
      encrypted_password: await bcryptOf(password('ada'), '2a'),
      phone: '14155550100',
      phone_confirmed_at: ts,
    }),
    row({
      ...base(ids.linus, 'linus'),
      encrypted_password: await bcryptOf(password('linus'), '2a'),
    }),
    row({ ...base(ids.magic, 'magic'), encrypted_password: '' }),
    row({
      ...base(ids.google, 'google'),
      encrypted_password: '',
      raw_app_meta_data: '{"provider": "google", "providers": ["google"]}',
    }),
    row({ ...base(ids.anon, 'anon'), email: null, is_anonymous: 't', encrypted_password: '' }),
  ];
  return {
    file: Buffer.from(`${SUPABASE_COLUMNS.join(',')}\n${rows.join('\n')}\n`),
    users: [
      { username: ids.ada, password: password('ada'), keeps: true },
      { username: ids.linus, password: password('linus'), keeps: true },
      {
        username: ids.magic,
        password: password('magic'),
        keeps: false,
        reason: 'no password (passwordless sign-in)',
      },
    ],
    leftOut: {
      [ids.google]: 'signs in through OAuth (google)',
      [ids.anon]: 'anonymous user',
    },
  };
}

/** Django's auth_user, as `\copy auth_user to … with csv header` writes it. */
export async function djangoExport(): Promise<GeneratedExport> {
  const pbkdf2 = (name: string, iterations: number, real = true) => {
    const salt = randomBytes(12).toString('base64url').slice(0, 16);
    const key = real ? pbkdf2Sync(password(name), salt, iterations, 32, 'sha256') : randomBytes(32);
    return `pbkdf2_sha256$${iterations}$${salt}$${key.toString('base64')}`;
  };
  const argon2 = async (name: string) => {
    const salt = randomBytes(16);
    const hash = await argon2Raw(password(name), salt);
    const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
    return `argon2$argon2id$v=19$m=${ARGON2.m},t=${ARGON2.t},p=${ARGON2.p}$${b64(salt)}$${b64(hash)}`;
  };
  const scrypt = (name: string) => {
    const salt = randomBytes(12).toString('base64url').slice(0, 16);
    const key = scryptSync(password(name), salt, 64, { N: 1024, r: 8, p: 1 });
    return `scrypt$1024$${salt}$8$1$${key.toString('base64')}`;
  };
  const users: [string, string, boolean?][] = [
    ['pbkdf2', pbkdf2('pbkdf2', 1000)],
    ['django51', pbkdf2('django51', 870_000, false)],
    ['argon2', await argon2('argon2')],
    ['argon2default', 'argon2$argon2id$v=19$m=102400,t=2,p=8$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA'],
    ['bcrypt', `bcrypt$${await bcryptOf(password('bcrypt'))}`],
    ['bcryptsha', `bcrypt_sha256$${await bcryptOf('x')}`],
    ['scrypt', scrypt('scrypt')],
    ['md5', 'md5$salt$0123456789abcdef0123456789abcdef'],
    ['unusable', '!aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcd'],
    ['inactive', pbkdf2('inactive', 1000), false],
  ];
  const header =
    'id,password,last_login,is_superuser,username,first_name,last_name,email,is_staff,is_active,date_joined';
  const rows = users.map(([name, hash, active = true], i) =>
    [
      String(i + 1),
      pgCsv(hash),
      '',
      'f',
      name,
      name,
      'Django',
      `${name}@example.com`,
      'f',
      active ? 't' : 'f',
      '2023-01-02 03:04:05.678901+00',
    ].join(','),
  );
  const user = (name: string, reason?: string): ExpectedUser => ({
    username: name,
    password: password(name),
    keeps: reason === undefined,
    ...(reason ? { reason } : {}),
  });
  return {
    file: Buffer.from(`${header}\n${rows.join('\n')}\n`),
    users: [
      user('pbkdf2'),
      user('django51', 'pbkdf2-sha256 iterations 870000 > 600000'),
      user('argon2'),
      user('argon2default', 'argon2 m=102400 > 19456, p=8 > 1'),
      user('bcrypt'),
      user('bcryptsha', 'bcrypt_sha256 not supported'),
      user('scrypt'),
      user('md5', 'md5 not supported'),
      user('unusable', 'unusable password'),
    ],
    leftOut: { '10': 'inactive in Django' },
  };
}

/** Firebase's `auth:export --format=json`. */
export function firebaseExport(): GeneratedExport {
  const localId = () => randomBytes(14).toString('base64url');
  const ids = { ada: localId(), phone: localId(), google: localId(), off: localId() };
  const users = [
    {
      localId: ids.ada,
      email: 'ada@example.com',
      emailVerified: true,
      passwordHash: randomBytes(64).toString('base64'),
      salt: randomBytes(12).toString('base64'),
      lastSignedInAt: '1700000000000',
      createdAt: '1690000000000',
      displayName: 'Ada Fire',
      photoUrl: 'https://example.com/ada.png',
      providerUserInfo: [
        { providerId: 'password', rawId: 'ada@example.com', email: 'ada@example.com' },
      ],
    },
    {
      localId: ids.phone,
      email: 'phone@example.com',
      emailVerified: true,
      phoneNumber: '+14155550123',
      providerUserInfo: [
        { providerId: 'phone', rawId: '+14155550123', phoneNumber: '+14155550123' },
      ],
    },
    {
      localId: ids.google,
      email: 'google@example.com',
      emailVerified: true,
      providerUserInfo: [{ providerId: 'google.com', rawId: '1234', federatedId: '1234' }],
    },
    {
      localId: ids.off,
      email: 'off@example.com',
      emailVerified: true,
      passwordHash: randomBytes(64).toString('base64'),
      salt: randomBytes(12).toString('base64'),
      disabled: true,
    },
  ];
  return {
    file: Buffer.from(JSON.stringify({ users }, null, 2)),
    users: [
      {
        username: ids.ada,
        password: password('ada'),
        keeps: false,
        reason: 'firebase scrypt has no Cognito equivalent',
      },
      {
        username: ids.phone,
        password: password('phone'),
        keeps: false,
        reason: 'no password (phone sign-in)',
      },
    ],
    leftOut: { [ids.google]: 'signs in through google.com', [ids.off]: 'disabled in Firebase' },
  };
}

/** Any CSV, with a mapping file: hashes already in Cognito's formats, local phone numbers. */
export function csvExport(): GeneratedExport & { mapping: unknown } {
  const ab64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '').replace(/\+/g, '.');
  const pbkdf2 = (name: string) => {
    const salt = randomBytes(16);
    return `$pbkdf2-sha256$1000$${ab64(salt)}$${ab64(pbkdf2Sync(password(name), salt, 1000, 32, 'sha256'))}`;
  };
  const scrypt = (name: string) => {
    const salt = randomBytes(16);
    return `1024$8$1$${salt.toString('hex')}$${scryptSync(password(name), salt, 32, { N: 1024, r: 8, p: 1 }).toString('hex')}`;
  };
  const rows = [
    ['Login', 'Mail', 'Confirmed', 'Tel', 'DOB', 'Plan', 'Secret'],
    ['kim', ' Kim@Example.COM ', 'yes', '020 7946 0018', '1985-02-01', 'gold', pbkdf2('kim')],
    ['lee', 'lee@example.com', '1', '+44 7700 900123', '03/04/1990', 'silver', scrypt('lee')],
    ['max', 'max@example.com', 'true', '', '', '', 'sha1$abc$def'],
    ['nomail', '', 'true', '', '', '', ''],
  ];
  const csv = `${rows.map((r) => r.map((v) => pgCsv(v)).join(',')).join('\r\n')}\r\n`;
  return {
    file: Buffer.from(csv),
    mapping: {
      defaultCountry: 'GB',
      columns: {
        'cognito:username': 'Login',
        email: { from: 'Mail', transform: ['trim', 'lowercase'] },
        email_verified: 'Confirmed',
        phone_number: { from: 'Tel', transform: 'phone' },
        birthdate: { from: 'DOB', transform: 'date' },
        'custom:plan': 'Plan',
        password_hash: 'Secret',
      },
    },
    users: [
      { username: 'kim', password: password('kim'), keeps: true },
      { username: 'lee', password: password('lee'), keeps: true },
      { username: 'max', password: password('max'), keeps: false, reason: 'sha1 not supported' },
    ],
    leftOut: { nomail: 'neither email nor phone number verified' },
  };
}
