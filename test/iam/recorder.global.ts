/**
 * The least-privilege check's summary (a vitest global setup): before the run, names a file the
 * workers append to (recorder.setup.ts); after it, totals what every test file's runs asked of
 * IAM, writes node_modules/.cache/cognito-import-pipeline/iam-check.json and prints one line.
 * When every test file of the suite ran, a granted action no call used fails the run: the
 * packaged roles must be as small as the functions' calls on every path.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadStackRoles } from '../../src/local/stack-roles.ts';
import {
  LOCAL_ACCOUNT,
  LOCAL_BUCKET,
  LOCAL_REGION,
  LOGS_ROLE_ARN,
  OUTCOME_TOPIC,
  STATE_MACHINE_NAME,
} from '../../src/local/twin.ts';
import { unusedGrants } from './least-privilege.ts';
import { DECISIONS_FILE_ENV, type FileDecisions } from './names.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SUMMARY = join(ROOT, 'node_modules', '.cache', 'cognito-import-pipeline', 'iam-check.json');
let file = '';

function testFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? testFiles(join(dir, entry.name))
      : entry.name.endsWith('.test.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

export function setup(): void {
  file = join(tmpdir(), `cognito-import-iam-check-${process.pid}-${Date.now()}.jsonl`);
  writeFileSync(file, '');
  process.env[DECISIONS_FILE_ENV] = file;
}

export async function teardown(): Promise<void> {
  const entries = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as FileDecisions);
  rmSync(file, { force: true });
  const allowed: Record<string, number> = {};
  for (const entry of entries)
    for (const [grant, count] of Object.entries(entry.allowed))
      allowed[grant] = (allowed[grant] ?? 0) + count;
  const calls = Object.values(allowed).reduce((n, c) => n + c, 0);
  const denied = entries.flatMap((e) => e.denied.map((d) => `${relative(ROOT, e.file)}: ${d}`));
  const ran = new Set(entries.map((e) => relative(ROOT, e.file)));
  const complete = testFiles('test').every((f) => ran.has(f));
  let unused: string[] = [];
  let excused: { grant: string; why: string }[] = [];
  if (calls > 0) {
    const { roles } = await loadStackRoles({
      allowedUserPools: 'tagged',
      names: {
        account: LOCAL_ACCOUNT,
        region: LOCAL_REGION,
        bucket: LOCAL_BUCKET,
        stateMachine: STATE_MACHINE_NAME,
        topic: OUTCOME_TOPIC,
        logsRoleArn: LOGS_ROLE_ARN,
      },
    });
    ({ unused, excused } = unusedGrants(roles, Object.keys(allowed)));
  }
  mkdirSync(join(SUMMARY, '..'), { recursive: true });
  writeFileSync(
    SUMMARY,
    `${JSON.stringify({ checkedAt: new Date().toISOString(), complete, calls, allowed, unused, excused, denied }, null, 2)}\n`,
  );
  console.log(
    `iam check: ${calls} allowed calls of ${Object.keys(allowed).length} role actions from ${entries.length} test files, ${denied.length} expected denials; ${
      complete
        ? `${unused.length} granted actions unused, ${excused.length} the twin cannot exercise`
        : 'a partial run: grants not checked'
    } (${relative(ROOT, SUMMARY)})`,
  );
  if (complete && unused.length > 0)
    throw new Error(
      `The packaged roles grant actions no function used on any path of the suite (least privilege):\n${unused.join('\n')}`,
    );
}
