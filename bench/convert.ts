/**
 * `npm run bench:convert`: converts a generated 1,000,000-user export and reports the wall time
 * and the peak RSS of the conversion (a child process running the `convert` command).
 *
 *   node bench/convert.ts [--source auth0|keycloak] [--users N]
 *
 * auth0 (default, the heaviest path): the user export as Auth0 hands it out (NDJSON, gzipped)
 * and the password-hash export (NDJSON), joined on the user id; past 200,000 hashes the join
 * goes to disk. keycloak: one realm export (pretty-printed JSON) whose users array is streamed.
 * The hashes are well-formed but not computed (random salts and digests, bcrypt cost 10; a
 * share over Cognito's limits): computing a million bcrypt hashes would take hours and prove
 * nothing about the converter. Inputs go to bench/out/ and are reused while their size matches.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';

const { values } = parseArgs({
  options: { source: { type: 'string', default: 'auth0' }, users: { type: 'string' } },
});
const source = values.source as 'auth0' | 'keycloak';
const users = Number(values.users ?? 1_000_000);
const OUT = join(import.meta.dirname, 'out', 'convert');
mkdirSync(OUT, { recursive: true });

const BCRYPT = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function fakeBcrypt(cost: number): string {
  const bytes = randomBytes(53);
  let s = '';
  for (const b of bytes) s += BCRYPT[b & 63];
  return `$2b$${cost}$${s}`;
}

/** Lines produced in batches, written with backpressure. */
async function writeLines(path: string, lines: () => Generator<string>, gzip: boolean) {
  async function* batches() {
    let batch = '';
    for (const line of lines()) {
      batch += line;
      if (batch.length > 1 << 20) {
        yield batch;
        batch = '';
      }
    }
    if (batch) yield batch;
  }
  if (gzip) await pipeline(batches, createGzip({ level: 6 }), createWriteStream(path));
  else await pipeline(batches, createWriteStream(path));
}

const oidOf = (i: number) => i.toString(16).padStart(24, '0');

async function auth0Inputs(): Promise<string[]> {
  const usersFile = join(OUT, `auth0-users-${users}.json.gz`);
  const hashFile = join(OUT, `auth0-passwords-${users}.json`);
  if (!existsSync(usersFile) || !existsSync(hashFile)) {
    console.log(`generating the Auth0 exports (${users.toLocaleString('en')} users)…`);
    await writeLines(
      usersFile,
      function* () {
        for (let i = 0; i < users; i++) {
          // 5% social users, 1% unverified: what a real tenant holds.
          const social = i % 20 === 7;
          yield `${JSON.stringify({
            user_id: social ? `google-oauth2|${100000000000 + i}` : `auth0|${oidOf(i)}`,
            email: `user${i}@example.com`,
            email_verified: i % 100 !== 3,
            name: `User Number ${i}`,
            given_name: 'User',
            family_name: `Number ${i}`,
            nickname: `user${i}`,
            picture: `https://s.gravatar.com/avatar/${oidOf(i)}.png`,
            created_at: '2021-03-04T05:06:07.890Z',
            updated_at: '2024-05-06T07:08:09.012Z',
            last_login: '2025-01-02T03:04:05.678Z',
            logins_count: i % 50,
          })}\n`;
        }
      },
      true,
    );
    await writeLines(
      hashFile,
      function* () {
        for (let i = 0; i < users; i++) {
          if (i % 20 === 7) continue;
          yield `${JSON.stringify({
            _id: { $oid: oidOf(i) },
            email_verified: true,
            email: `user${i}@example.com`,
            // 2% over Cognito's cost limit.
            passwordHash: fakeBcrypt(i % 50 === 1 ? 13 : 10),
            password_set_date: { $date: '2021-03-04T05:06:07.890Z' },
            tenant: 'bench',
            connection: 'Username-Password-Authentication',
            _tmp_is_unique: true,
          })}\n`;
        }
      },
      false,
    );
  }
  return [usersFile, '--passwords', hashFile];
}

async function keycloakInputs(): Promise<string[]> {
  const file = join(OUT, `keycloak-realm-${users}.json`);
  if (!existsSync(file)) {
    console.log(`generating the Keycloak realm export (${users.toLocaleString('en')} users)…`);
    const salt = randomBytes(16).toString('base64');
    const key = randomBytes(64).toString('base64');
    await writeLines(
      file,
      function* () {
        yield '{\n  "id" : "bench",\n  "realm" : "bench",\n  "enabled" : true,\n  "users" : [ ';
        for (let i = 0; i < users; i++) {
          // Keycloak's mix after an upgrade: pbkdf2-sha256 (27,500 iterations) and argon2 at
          // Keycloak's defaults (t=5, over Cognito's limit).
          const argon = i % 4 === 0;
          const user = {
            id: `${oidOf(i)}-0000-0000`,
            createdTimestamp: 1_700_000_000_000,
            username: `user${i}`,
            enabled: true,
            totp: false,
            emailVerified: true,
            firstName: 'User',
            lastName: `Number ${i}`,
            email: `user${i}@example.com`,
            attributes: { locale: ['en'] },
            credentials: [
              {
                id: `${oidOf(i)}-cred`,
                type: 'password',
                createdDate: 1_700_000_000_000,
                secretData: JSON.stringify({ value: key, salt, additionalParameters: {} }),
                credentialData: JSON.stringify(
                  argon
                    ? {
                        hashIterations: 5,
                        algorithm: 'argon2',
                        additionalParameters: {
                          hashLength: ['32'],
                          memory: ['7168'],
                          type: ['id'],
                          version: ['1.3'],
                          parallelism: ['1'],
                        },
                      }
                    : {
                        hashIterations: 27500,
                        algorithm: 'pbkdf2-sha256',
                        additionalParameters: {},
                      },
                ),
              },
            ],
            disableableCredentialTypes: [],
            requiredActions: [],
            realmRoles: ['default-roles-bench'],
            notBefore: 0,
            groups: [],
          };
          // Pretty-printed, as kc.sh export writes it.
          yield `${i > 0 ? ', ' : ''}${JSON.stringify(user, null, 2)}`;
        }
        yield ' ]\n}\n';
      },
      false,
    );
  }
  return [file];
}

const inputs = source === 'keycloak' ? await keycloakInputs() : await auth0Inputs();
const bytes = inputs.filter((a) => !a.startsWith('--')).reduce((n, f) => n + statSync(f).size, 0);
const out = join(OUT, `${source}-users.csv`);
console.log(
  `converting ${source}: ${users.toLocaleString('en')} users, ${(bytes / 1e6).toFixed(0)} MB of input${inputs[0]?.endsWith('.gz') ? ' (the user export gzipped)' : ''}`,
);
const result = spawnSync(
  process.execPath,
  [
    join(import.meta.dirname, 'convert-child.ts'),
    '--from',
    source,
    ...inputs,
    '--out',
    out,
    '--json',
  ],
  { encoding: 'utf8', maxBuffer: 16 << 20 },
);
if (result.status !== 0) {
  console.error(result.stderr);
  process.exit(1);
}
const measured = JSON.parse(result.stdout.trim().split('\n').pop() as string) as {
  seconds: number;
  maxRssMB: number;
  report: {
    converted: number;
    keepPassword: { total: number };
    mustReset: { total: number };
    leftOut: { total: number };
  };
};
const r = measured.report;
console.log(
  `  ${measured.seconds.toFixed(1)} s wall, ${Math.round(users / measured.seconds).toLocaleString('en')} users/s, peak RSS ${measured.maxRssMB.toFixed(0)} MB`,
);
console.log(
  `  converted ${r.converted.toLocaleString('en')} (keep ${r.keepPassword.total.toLocaleString('en')}, reset ${r.mustReset.total.toLocaleString('en')}), left out ${r.leftOut.total.toLocaleString('en')}; output ${(statSync(out).size / 1e6).toFixed(0)} MB`,
);
rmSync(out, { force: true });
rmSync(out.replace(/\.csv$/, '.left-out.csv'), { force: true });
