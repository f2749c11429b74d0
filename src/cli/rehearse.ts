import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  AdminListGroupsForUserCommand,
  type CognitoIdentityProviderClient,
  ConfirmForgotPasswordCommand,
  CreateUserPoolClientCommand,
  DeleteUserPoolClientCommand,
  DescribeUserPoolCommand,
  ForgotPasswordCommand,
  InitiateAuthCommand,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { parse } from 'csv-parse/sync';
import { type Jwk, verifyCognitoJwt } from '../../twin/index.ts';
import { errorMessage, errorName, isAwsError } from '../aws/sdk-errors.ts';
import type { EnvConfig } from '../config.ts';
import { checkPoolId, cognitoTarget } from './cognito-target.ts';
import { UsageError } from './errors.ts';
import { requireFile } from './files.ts';
import type { Io } from './io.ts';

export const REHEARSE_HELP = `Usage: cognito-import rehearse --pool <id> [--users N] [--passwords FILE] [--data-dir DIR] [--json]

Rehearses on the local twin what imported users go through after a migration. It takes N users of
the pool that are RESET_REQUIRED (imported without a password hash) through:
  1. sign-in refused with PasswordResetRequiredException,
  2. ForgotPassword, the code read from the twin's mailbox, ConfirmForgotPassword,
  3. a first sign-in (USER_PASSWORD_AUTH, on an app client created for the rehearsal),
  4. the ID and access tokens verified against the pool's JWKS, and the ID token's cognito:groups
     claim equal to the user's groups (AdminListGroupsForUser),
  5. a refresh (REFRESH_TOKEN_AUTH), its tokens verified too,
and reports per step how many users got through and the first error of each kind. Exit 0 when
every user made it, 1 otherwise, 2 on a usage or setup error.

The rehearsed users end CONFIRMED with random passwords that nobody keeps: rehearse on a copy of
the data folder, or import again to start over. Passwords, codes and tokens are never printed.

With --passwords FILE it rehearses users imported with their password hash instead: FILE is a CSV
with a header row "username,password" (test accounts whose passwords you know), and each user is
taken through a wrong password refused, a sign-in with the old password (USER_PASSWORD_AUTH, as
SRP is not available before the first sign-in), the tokens verified, and a refresh.

Options:
  --pool <id>      the user pool (required)
  --users N        how many users to take (default 5, at most 1000)
  --passwords FILE rehearse the users of FILE (username,password) with their old passwords
  --data-dir DIR   the local twin's data folder (default: .cognito-import); when the environment
                   points the SDK at a twin run by serve, that twin is used
  --json           print the report as JSON
  -h, --help       this help`;

const STEPS = [
  ['reset-required', 'sign-in refused, reset required'],
  ['forgot-password', 'ForgotPassword'],
  ['mailbox-code', 'code in the mailbox'],
  ['confirm-forgot-password', 'ConfirmForgotPassword'],
  ['first-sign-in', 'first sign-in'],
  ['tokens-verified', 'tokens verified (JWKS, groups claim)'],
  ['refresh', 'refresh, tokens verified'],
] as const;
/** The steps of a user imported with a password hash, who keeps the password. */
const KEPT_PASSWORD_STEPS = [
  ['wrong-password-refused', 'wrong password refused'],
  ['old-password-sign-in', 'sign-in with the old password'],
  ['tokens-verified', 'tokens verified (JWKS, groups claim)'],
  ['refresh', 'refresh, tokens verified'],
] as const;
type StepName = (typeof STEPS)[number][0] | (typeof KEPT_PASSWORD_STEPS)[number][0];

/** Why a step failed: an error name (or the rehearsal's own kind) and a message without secrets. */
interface Failure {
  kind: string;
  message: string;
}

interface StepReport {
  step: StepName;
  label: string;
  attempted: number;
  passed: number;
  errors: { kind: string; count: number; first: string }[];
}

export interface RehearsalReport {
  userPoolId: string;
  where: string;
  /** `reset`: RESET_REQUIRED users through a reset; `passwords`: users who kept their password. */
  mode: 'reset' | 'passwords';
  requested: number;
  users: number;
  madeIt: number;
  steps: StepReport[];
}

class StepFailed extends Error {
  readonly failure: Failure;
  constructor(failure: Failure) {
    super(failure.message);
    this.failure = failure;
  }
}

/** A service error as kind and message; the twin's messages carry no password, code or token. */
function asFailure(error: unknown): Failure {
  if (error instanceof StepFailed) return error.failure;
  return { kind: errorName(error) || 'Error', message: errorMessage(error) || String(error) };
}

/** Every group the user is in, page by page. */
async function groupsOf(
  cognito: CognitoIdentityProviderClient,
  UserPoolId: string,
  Username: string,
): Promise<string[]> {
  const names: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await cognito.send(
      new AdminListGroupsForUserCommand({ UserPoolId, Username, Limit: 60, NextToken }),
    );
    for (const group of page.Groups ?? []) names.push(group.GroupName as string);
    NextToken = page.NextToken;
  } while (NextToken);
  return names;
}

/** A password any Cognito policy takes: upper, lower, digit, symbol, and long enough. */
function newPassword(minimumLength: number): string {
  const random = randomBytes(Math.max(24, minimumLength)).toString('base64url');
  return `${random.slice(0, Math.max(20, minimumLength))}aA1!`;
}

/** Where the SDK sends this client's requests, captured from the next request it signs. */
function captureEndpoint(cognito: CognitoIdentityProviderClient): () => string | undefined {
  let origin: string | undefined;
  cognito.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { protocol?: string; hostname?: string; port?: number };
      if (request?.hostname)
        origin = `${request.protocol ?? 'https:'}//${request.hostname}${request.port ? `:${request.port}` : ''}`;
      return next(args);
    },
    { step: 'finalizeRequest', name: 'rehearseCaptureEndpoint' },
  );
  return () => origin;
}

async function isTwin(origin: string): Promise<boolean> {
  try {
    const response = await fetch(`${origin}/_twin/health`);
    return response.ok && ((await response.json()) as { ok?: boolean }).ok === true;
  } catch {
    return false;
  }
}

export async function rehearse(argv: string[], io: Io, config: EnvConfig): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      pool: { type: 'string' },
      users: { type: 'string' },
      passwords: { type: 'string' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  const poolId = checkPoolId(values.pool);
  const known = values.passwords ? await readPasswords(values.passwords) : undefined;
  if (!poolId) throw new UsageError('Name the user pool to rehearse with --pool.');
  const requested = Number(values.users ?? '5');
  if (!/^\d+$/.test(values.users ?? '5') || requested < 1 || requested > 1000)
    throw new UsageError(`--users must be a number from 1 to 1000, not "${values.users}".`);
  const dataDir = values['data-dir'] ? resolve(values['data-dir']) : config.dataDir;
  const target = await cognitoTarget({ ...config, dataDir }, false);
  try {
    const endpoint = captureEndpoint(target.cognito);
    const { UserPool } = await target.cognito.send(
      new DescribeUserPoolCommand({ UserPoolId: poolId }),
    );
    const origin = endpoint();
    if (!origin || !(await isTwin(origin)))
      throw new UsageError(
        `rehearse runs on the local twin only (it reads reset codes from the twin's mailbox); ${target.where} is not one.`,
      );
    const minimumLength = UserPool?.Policies?.PasswordPolicy?.MinimumLength ?? 8;
    const report = await run(target.cognito, {
      poolId,
      origin,
      where: target.where,
      requested: known ? known.length : requested,
      minimumLength,
      ...(known ? { known } : {}),
    });
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else print(io, report);
    return report.users > 0 && report.madeIt === report.users ? 0 : 1;
  } finally {
    await target.close();
  }
}

/** The test accounts of a `username,password` CSV; never printed. */
async function readPasswords(path: string): Promise<{ username: string; password: string }[]> {
  const file = requireFile(path, 'passwords file');
  let rows: Record<string, string>[];
  try {
    rows = parse(await readFile(file.path), { columns: true, bom: true, skip_empty_lines: true });
  } catch {
    throw new UsageError(`${path}: not a CSV with a header row "username,password".`);
  }
  if (rows.length === 0 || !('username' in (rows[0] ?? {})) || !('password' in (rows[0] ?? {})))
    throw new UsageError(`${path}: the CSV needs the columns username and password, and a row.`);
  if (rows.length > 1000) throw new UsageError(`${path}: at most 1000 users.`);
  return rows.map((r) => ({ username: r.username ?? '', password: r.password ?? '' }));
}

async function resetRequiredUsers(
  cognito: CognitoIdentityProviderClient,
  poolId: string,
  wanted: number,
): Promise<string[]> {
  const usernames: string[] = [];
  let token: string | undefined;
  do {
    const page = await cognito.send(
      new ListUsersCommand({
        UserPoolId: poolId,
        Filter: 'cognito:user_status = "RESET_REQUIRED"',
        Limit: Math.min(60, wanted - usernames.length),
        PaginationToken: token,
      }),
    );
    for (const user of page.Users ?? []) if (user.Username) usernames.push(user.Username);
    token = page.PaginationToken;
  } while (token && usernames.length < wanted);
  return usernames.slice(0, wanted);
}

async function run(
  cognito: CognitoIdentityProviderClient,
  options: {
    poolId: string;
    origin: string;
    where: string;
    requested: number;
    minimumLength: number;
    /** Users who kept their password, and the password: rehearse their sign-in instead. */
    known?: { username: string; password: string }[];
  },
): Promise<RehearsalReport> {
  const { poolId, origin, known } = options;
  const stepList = known ? KEPT_PASSWORD_STEPS : STEPS;
  const steps = new Map<StepName, StepReport>(
    stepList.map(([step, label]) => [step, { step, label, attempted: 0, passed: 0, errors: [] }]),
  );
  const oldPasswords = new Map(known?.map((k) => [k.username, k.password]));
  const usernames = known
    ? known.map((k) => k.username)
    : await resetRequiredUsers(cognito, poolId, options.requested);
  const report: RehearsalReport = {
    userPoolId: poolId,
    where: options.where,
    mode: known ? 'passwords' : 'reset',
    requested: options.requested,
    users: usernames.length,
    madeIt: 0,
    steps: [...steps.values()],
  };
  if (usernames.length === 0) return report;

  const { UserPoolClient } = await cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId: poolId,
      ClientName: 'cognito-import-rehearsal',
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    }),
  );
  const clientId = UserPoolClient?.ClientId as string;
  try {
    const jwksResponse = await fetch(`${origin}/${poolId}/.well-known/jwks.json`);
    const keys = jwksResponse.ok ? ((await jwksResponse.json()) as { keys: Jwk[] }).keys : [];
    const issuers = [
      `${origin}/${poolId}`,
      `https://cognito-idp.${poolId.split('_')[0]}.amazonaws.com/${poolId}`,
    ];
    const verify = (token: string | undefined, tokenUse: 'id' | 'access', username: string) => {
      const against = (issuer: string) =>
        verifyCognitoJwt(token ?? '', keys, {
          issuer,
          tokenUse,
          clientId,
          nowSeconds: Math.floor(Date.now() / 1000),
        });
      // The twin's issuer, or AWS's when the twin's tokenIssuer knob is set to 'aws'.
      let checked = against(issuers[0] as string);
      if (!checked.ok && checked.problem === 'wrong-issuer')
        checked = against(issuers[1] as string);
      if (!checked.ok)
        throw new StepFailed({
          kind: `jwt-${checked.problem}`,
          message: `the ${tokenUse} token did not verify against the pool's JWKS (${checked.problem})`,
        });
      const passed = checked;
      const claim =
        tokenUse === 'id' ? passed.payload['cognito:username'] : passed.payload.username;
      if (claim !== username)
        throw new StepFailed({
          kind: 'jwt-wrong-user',
          message: `the ${tokenUse} token names another user`,
        });
      return passed.payload;
    };

    for (const username of usernames) {
      const password = newPassword(options.minimumLength);
      let code = '';
      let refreshToken = '';
      let verifyPair: [string, string] = ['', ''];
      const afterSignIn: [StepName, () => Promise<void>][] = [
        [
          'tokens-verified',
          async () => {
            const id = verify(verifyPair[0], 'id', username);
            const access = verify(verifyPair[1], 'access', username);
            if (id.sub !== access.sub)
              throw new StepFailed({
                kind: 'jwt-sub-mismatch',
                message: 'the ID and access tokens name different subjects',
              });
            // The groups the pipeline added are what an app authorizes with.
            const claimed = [...((id['cognito:groups'] as string[] | undefined) ?? [])].sort();
            const held = (await groupsOf(cognito, options.poolId, username)).sort();
            if (claimed.join('\n') !== held.join('\n'))
              throw new StepFailed({
                kind: 'groups-claim-mismatch',
                message: `the ID token claims ${claimed.length} groups, the user is in ${held.length}`,
              });
          },
        ],
        [
          'refresh',
          async () => {
            const out = await cognito.send(
              new InitiateAuthCommand({
                ClientId: clientId,
                AuthFlow: 'REFRESH_TOKEN_AUTH',
                AuthParameters: { REFRESH_TOKEN: refreshToken },
              }),
            );
            verify(out.AuthenticationResult?.IdToken, 'id', username);
            verify(out.AuthenticationResult?.AccessToken, 'access', username);
          },
        ],
      ];
      const oldPassword = oldPasswords.get(username);
      const attempts: [StepName, () => Promise<void>][] =
        oldPassword === undefined
          ? [
              [
                'reset-required',
                async () => {
                  try {
                    await signIn(cognito, clientId, username, newPassword(options.minimumLength));
                  } catch (error) {
                    if (isAwsError(error, 'PasswordResetRequiredException')) return;
                    throw error;
                  }
                  throw new StepFailed({
                    kind: 'NotRefused',
                    message: 'the sign-in of a RESET_REQUIRED user was not refused',
                  });
                },
              ],
              [
                'forgot-password',
                async () => {
                  await cognito.send(
                    new ForgotPasswordCommand({ ClientId: clientId, Username: username }),
                  );
                },
              ],
              [
                'mailbox-code',
                async () => {
                  code = await mailboxCode(origin, poolId, username);
                },
              ],
              [
                'confirm-forgot-password',
                async () => {
                  await cognito.send(
                    new ConfirmForgotPasswordCommand({
                      ClientId: clientId,
                      Username: username,
                      ConfirmationCode: code,
                      Password: password,
                    }),
                  );
                },
              ],
              [
                'first-sign-in',
                async () => {
                  const out = await signIn(cognito, clientId, username, password);
                  const result = out.AuthenticationResult;
                  if (!result?.IdToken || !result.AccessToken || !result.RefreshToken)
                    throw new StepFailed({
                      kind: out.ChallengeName ?? 'NoTokens',
                      message: out.ChallengeName
                        ? `the sign-in answered the ${out.ChallengeName} challenge instead of tokens`
                        : 'the sign-in answered no tokens',
                    });
                  verifyPair = [result.IdToken, result.AccessToken];
                  refreshToken = result.RefreshToken;
                },
              ],
              ...afterSignIn,
            ]
          : [
              [
                'wrong-password-refused',
                async () => {
                  try {
                    await signIn(cognito, clientId, username, `${oldPassword}-not-it`);
                  } catch (error) {
                    if (isAwsError(error, 'NotAuthorizedException')) return;
                    throw error;
                  }
                  throw new StepFailed({
                    kind: 'NotRefused',
                    message: 'a wrong password was not refused',
                  });
                },
              ],
              [
                'old-password-sign-in',
                async () => {
                  const out = await signIn(cognito, clientId, username, oldPassword);
                  const result = out.AuthenticationResult;
                  if (!result?.IdToken || !result.AccessToken || !result.RefreshToken)
                    throw new StepFailed({
                      kind: out.ChallengeName ?? 'NoTokens',
                      message: out.ChallengeName
                        ? `the sign-in answered the ${out.ChallengeName} challenge instead of tokens`
                        : 'the sign-in answered no tokens',
                    });
                  verifyPair = [result.IdToken, result.AccessToken];
                  refreshToken = result.RefreshToken;
                },
              ],
              ...afterSignIn,
            ];
      let madeIt = true;
      for (const [name, attempt] of attempts) {
        const step = steps.get(name) as StepReport;
        step.attempted++;
        try {
          await attempt();
          step.passed++;
        } catch (error) {
          const failure = asFailure(error);
          const known = step.errors.find((e) => e.kind === failure.kind);
          if (known) known.count++;
          else step.errors.push({ kind: failure.kind, count: 1, first: failure.message });
          madeIt = false;
          break;
        }
      }
      if (madeIt) report.madeIt++;
    }
  } finally {
    await cognito.send(new DeleteUserPoolClientCommand({ UserPoolId: poolId, ClientId: clientId }));
  }
  return report;
}

function signIn(
  cognito: CognitoIdentityProviderClient,
  clientId: string,
  username: string,
  password: string,
) {
  return cognito.send(
    new InitiateAuthCommand({
      ClientId: clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  );
}

/** The newest code the twin's mailbox holds for the user. */
async function mailboxCode(origin: string, poolId: string, username: string): Promise<string> {
  const url = `${origin}/_twin/mailbox?pool=${encodeURIComponent(poolId)}&username=${encodeURIComponent(username)}`;
  const response = await fetch(url);
  const body = (await response.json()) as { messages?: { code?: string }[] };
  const code = body.messages?.[0]?.code;
  if (!response.ok || !code)
    throw new StepFailed({ kind: 'NoCode', message: "no code in the twin's mailbox" });
  return code;
}

function print(io: Io, report: RehearsalReport): void {
  io.out(`rehearse ${report.userPoolId} on ${report.where}`);
  if (report.users === 0) {
    io.out(
      '  no user of the pool is RESET_REQUIRED (imported without a password hash): nothing to rehearse',
    );
    return;
  }
  if (report.users < report.requested)
    io.out(
      `  only ${report.users} RESET_REQUIRED ${report.users === 1 ? 'user' : 'users'} (asked for ${report.requested})`,
    );
  const width = Math.max(...report.steps.map((s) => s.label.length));
  for (const step of report.steps) {
    io.out(`  ${step.label.padEnd(width)}  ${step.passed}/${step.attempted}`);
    for (const error of step.errors)
      io.out(`    ×${error.count} ${error.kind}, first: ${error.first}`);
  }
  io.out(
    report.mode === 'passwords'
      ? `${report.madeIt} of ${report.users} users signed in with their old password and refreshed.`
      : `${report.madeIt} of ${report.users} users made it from RESET_REQUIRED to a refreshed session.`,
  );
}
