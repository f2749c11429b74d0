import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { listGroupNames } from '../cognito/pool-groups.ts';
import { readPoolRules } from '../cognito/pool-rules.ts';
import type { EnvConfig } from '../config.ts';
import { sniffGroupsColumn, type ValidationReport, validateCsv } from '../csv/index.ts';
import { checkPoolId, cognitoTarget } from './cognito-target.ts';
import { UsageError } from './errors.ts';
import { requireFile } from './files.ts';
import type { Io } from './io.ts';

export const VALIDATE_HELP = `Usage: cognito-import validate <file.csv> [--pool <id>] [--invalid-rows reject|skip] [--create-groups] [--json] [--aws] [--data-dir DIR]

Checks a CSV against a user pool's import rules without creating any import job: the header,
every row, Cognito's limits, and what normalisation would change; the names of a cognito:groups
column against the pool's groups. Exit 0 when the file can be imported, 1 when it cannot, 2 on a
usage or setup error.

Options:
  --pool <id>                 the user pool whose rules apply (default: the local twin's default pool)
  --invalid-rows reject|skip  reject (default): any invalid row makes the file invalid; skip: they would be set aside
  --create-groups             groups the pool lacks would be created (as the run option createGroups), not row errors
  --json                      print the validation report as JSON (top level: rows, invalidRows, warnings, …)
  --aws                       read the pool from AWS (or the endpoints in AWS_ENDPOINT_URL_*) instead of the local twin
  --data-dir DIR              the local twin's data folder (default: .cognito-import)
  -h, --help                  this help`;

const SHOWN_ISSUES = 20;

export async function validate(argv: string[], io: Io, config: EnvConfig): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      pool: { type: 'string' },
      'invalid-rows': { type: 'string' },
      'create-groups': { type: 'boolean' },
      json: { type: 'boolean' },
      aws: { type: 'boolean' },
      'data-dir': { type: 'string' },
    },
    strict: true,
  });
  if (positionals.length > 1) throw new UsageError('Name one CSV file.');
  const file = requireFile(positionals[0]);
  const pool = checkPoolId(values.pool);
  const policy = values['invalid-rows'] ?? 'reject';
  if (policy !== 'reject' && policy !== 'skip')
    throw new UsageError('--invalid-rows must be reject or skip.');
  const dataDir = values['data-dir'] ? resolve(values['data-dir']) : config.dataDir;
  const target = await cognitoTarget({ ...config, dataDir }, values.aws ?? false);
  let report: ValidationReport;
  let poolId: string;
  try {
    poolId = await target.poolId(pool);
    const rules = await readPoolRules(target.cognito, poolId);
    // The pool's groups are read only for a file whose header names the column.
    const sniffed = await sniffGroupsColumn(createReadStream(file.path));
    const known = sniffed.mentions
      ? await listGroupNames(target.cognito, poolId)
      : new Set<string>();
    report = await validateCsv(sniffed.source, rules, {
      invalidRows: policy,
      groups: { known, create: values['create-groups'] ?? false },
    });
  } finally {
    await target.close();
  }
  if (values.json) {
    io.out(JSON.stringify({ file: file.path, userPoolId: poolId, ...report }, null, 2));
    return report.valid ? 0 : 1;
  }
  printReport(io, file.path, poolId, report);
  return report.valid ? 0 : 1;
}

function printReport(io: Io, path: string, poolId: string, report: ValidationReport) {
  const verdict = report.valid ? 'can be imported' : 'cannot be imported';
  io.out(`${path}: ${verdict} into ${poolId}`);
  io.out(
    `  ${report.rows.toLocaleString('en')} rows, ${report.invalidRows.toLocaleString('en')} invalid, ${report.warnings.toLocaleString('en')} warnings, ${report.errors.toLocaleString('en')} errors`,
  );
  if (report.passwordHashes) {
    const groups = Object.entries(report.passwordHashes).map(
      ([algorithm, n]) =>
        `${algorithm === 'none' ? 'no hash' : algorithm} ${n.toLocaleString('en')}`,
    );
    if (groups.length > 0) io.out(`  password hashes: ${groups.join(', ')} (one import job each)`);
  }
  if (report.groups) printGroups(io, report.groups);
  const changes = Object.entries(report.normalised).filter(([, n]) => n > 0);
  if (changes.length > 0)
    io.out(`  normalised: ${changes.map(([kind, n]) => `${kind} ${n}`).join(', ')}`);
  // A code seen many times (every missing column, every bad phone) reads better as one line.
  const byCode = new Map<string, number>();
  for (const issue of report.issues) byCode.set(issue.code, (byCode.get(issue.code) ?? 0) + 1);
  const grouped = new Set<string>();
  let shown = 0;
  for (const issue of report.issues) {
    if (shown >= SHOWN_ISSUES) break;
    const kind = issue.severity === 'error' ? 'error' : 'warning';
    if ((byCode.get(issue.code) ?? 0) > 3) {
      if (grouped.has(issue.code)) continue;
      grouped.add(issue.code);
      const total = report.counts[issue.code] ?? byCode.get(issue.code) ?? 0;
      io.out(`  ${kind} ×${total.toLocaleString('en')} [${issue.code}], first: ${issue.message}`);
    } else {
      io.out(`  ${kind}: ${issue.message} [${issue.code}]`);
    }
    shown++;
  }
  if (shown >= SHOWN_ISSUES || report.issuesOmitted > 0)
    io.out('  … more in the full report: --json');
}

/** Missing group names shown; the JSON report has up to 10,000. */
const SHOWN_GROUPS = 20;

function printGroups(io: Io, groups: NonNullable<ValidationReport['groups']>) {
  const count = (n: number, one: string, many: string) =>
    `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
  io.out(
    `  groups: ${count(groups.rows, 'valid row names', 'valid rows name')} groups (${count(groups.memberships, 'membership', 'memberships')})`,
  );
  if (groups.missingCount === 0) return;
  const shown = groups.missing.slice(0, SHOWN_GROUPS).join(', ');
  const more = groups.missingCount - Math.min(groups.missing.length, SHOWN_GROUPS);
  const list = `${shown}${more > 0 ? `, and ${more.toLocaleString('en')} more` : ''}`;
  io.out(
    groups.create
      ? `  groups the pool lacks, to be created: ${groups.missingCount.toLocaleString('en')} (${list})`
      : `  groups the pool lacks, an error in each row naming one (--create-groups to create them): ${groups.missingCount.toLocaleString('en')} (${list})`,
  );
}
