/**
 * The license rule (README, "License"): every package in the dependency tree (direct or
 * transitive, production or development: every entry of package-lock.json) must be under a
 * permissive license. A package's license is read from its installed package.json (the SPDX
 * `license` field, or the old `license: { type }` and `licenses: [...]` forms), else from the
 * lockfile. SPDX expressions are evaluated: `A OR B` needs one permissive side, `A AND B` both.
 *
 * A package that cannot meet the rule is listed in EXCEPTIONS below with the license it has and
 * why it was accepted; an exception that no longer matches a package fails the check too, so the
 * list stays true.
 *
 * Run: `npm run licenses` (CI runs it). Exit code 1 on any problem.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** SPDX identifiers of permissive licenses (compared without regard to case). */
export const PERMISSIVE: ReadonlySet<string> = new Set(
  [
    'MIT',
    'MIT-0',
    'ISC',
    '0BSD',
    'BSD-2-Clause',
    'BSD-3-Clause',
    'Apache-2.0',
    'BlueOak-1.0.0',
    'CC0-1.0',
    'Python-2.0',
    'PSF-2.0',
    'Unlicense',
    'Zlib',
  ].map((id) => id.toLowerCase()),
);

export interface LicenseException {
  /** The package names it covers. */
  name: RegExp;
  /** The license those packages must still declare for the exception to apply. */
  license: string;
  reason: string;
}

/** Reviewed exceptions to the rule, each with its reason. */
// Empty, and meant to stay so: vite 8 would bring lightningcss (MPL-2.0), so the project pins
// vite 7, which vitest 5 accepts and which does not need it.
export const EXCEPTIONS: readonly LicenseException[] = [];

export interface LicenseProblem {
  path: string;
  name: string;
  version: string;
  license: string;
  problem: string;
}

export interface LicenseReport {
  packages: number;
  byLicense: Record<string, number>;
  excepted: { path: string; license: string }[];
  problems: LicenseProblem[];
}

interface Manifest {
  name?: string;
  version?: string;
  license?: unknown;
  licenses?: unknown;
}

/** The license a manifest declares, as one SPDX expression, in any of npm's historical forms. */
export function declaredLicense(manifest: Manifest): string | undefined {
  const typeOf = (entry: unknown) =>
    typeof entry === 'string'
      ? entry
      : typeof entry === 'object' && entry !== null && 'type' in entry
        ? String((entry as { type: unknown }).type)
        : undefined;
  const single = typeOf(manifest.license);
  if (single) return single;
  if (Array.isArray(manifest.licenses)) {
    // The old array form listed the licenses a user may choose from.
    const all = manifest.licenses.map(typeOf).filter((id): id is string => Boolean(id));
    if (all.length === 1) return all[0];
    if (all.length > 1) return `(${all.join(' OR ')})`;
  }
  return typeOf(manifest.licenses);
}

/**
 * Whether an SPDX expression leaves the project under permissive terms.
 *
 * @throws Error when the expression cannot be parsed
 */
export function isPermissive(expression: string): boolean {
  const tokens = expression.match(/\(|\)|[^\s()]+/g) ?? [];
  let at = 0;
  const peek = () => tokens[at]?.toUpperCase();
  const fail = (why: string): never => {
    throw new Error(`not an SPDX expression (${why}): ${expression}`);
  };
  const primary = (): boolean => {
    const token = tokens[at++];
    if (token === undefined) return fail('it ends too early');
    if (token === '(') {
      const inner = anyOf();
      if (tokens[at++] !== ')') fail('a parenthesis is not closed');
      return inner;
    }
    if (/^(AND|OR|WITH|\))$/i.test(token)) return fail(`"${token}" where a license should be`);
    // An exception (`WITH`) only adds permissions: the license it qualifies decides.
    if (peek() === 'WITH') at += 2;
    return PERMISSIVE.has(token.replace(/\+$/, '').toLowerCase());
  };
  const allOf = (): boolean => {
    let result = primary();
    while (peek() === 'AND') {
      at++;
      result = primary() && result;
    }
    return result;
  };
  const anyOf = (): boolean => {
    let result = allOf();
    while (peek() === 'OR') {
      at++;
      result = allOf() || result;
    }
    return result;
  };
  const result = anyOf();
  if (at !== tokens.length) fail('something follows the expression');
  return result;
}

/** Checks every package of the lockfile under `root` against the rule and the exceptions. */
export function checkLicenses(
  root: string,
  exceptions: readonly LicenseException[] = EXCEPTIONS,
): LicenseReport {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages?: Record<string, Manifest & { link?: boolean }>;
  };
  const report: LicenseReport = { packages: 0, byLicense: {}, excepted: [], problems: [] };
  const used = new Set<LicenseException>();
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    // The project itself, and links to folders that are checked under their own entry.
    if (path === '' || entry.link) continue;
    report.packages++;
    const manifestPath = join(root, path, 'package.json');
    const installed = existsSync(manifestPath)
      ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest)
      : undefined;
    const name = installed?.name ?? path.slice(path.lastIndexOf('node_modules/') + 13);
    const version = installed?.version ?? entry.version ?? '';
    const license = (installed && declaredLicense(installed)) ?? declaredLicense(entry) ?? '';
    const shown = license || '(none)';
    report.byLicense[shown] = (report.byLicense[shown] ?? 0) + 1;
    let permissive: boolean;
    let problem = 'is not under a permissive license';
    try {
      permissive = license !== '' && isPermissive(license);
      if (!license) problem = 'declares no license';
    } catch {
      permissive = false;
      problem = 'declares a license that is not an SPDX expression';
    }
    if (permissive) continue;
    const exception = exceptions.find((e) => e.name.test(name) && e.license === license);
    if (exception) {
      used.add(exception);
      report.excepted.push({ path, license });
      continue;
    }
    report.problems.push({ path, name, version, license: shown, problem });
  }
  for (const exception of exceptions)
    if (!used.has(exception))
      report.problems.push({
        path: 'scripts/check-licenses.ts EXCEPTIONS',
        name: String(exception.name),
        version: '',
        license: exception.license,
        problem: 'is an exception that no package needs any more: remove it',
      });
  return report;
}

if (import.meta.main) {
  const root = join(import.meta.dirname, '..');
  const report = checkLicenses(root);
  const licenses = Object.entries(report.byLicense)
    .sort(([, a], [, b]) => b - a)
    .map(([license, count]) => `${license} ${count}`)
    .join(', ');
  console.log(`licenses: ${report.packages} packages in package-lock.json: ${licenses}`);
  if (report.excepted.length > 0)
    console.log(
      `licenses: ${report.excepted.length} packages accepted by a reviewed exception (scripts/check-licenses.ts): ${[
        ...new Set(report.excepted.map((e) => e.path.replace(/^.*node_modules\//, ''))),
      ].join(', ')}`,
    );
  for (const p of report.problems)
    console.error(`licenses: ${p.name}@${p.version} (${p.path}) ${p.problem}: ${p.license}`);
  if (report.problems.length > 0) {
    console.error(
      `licenses: ${report.problems.length} problems. The project is MIT and takes only permissive licenses (README, "License").`,
    );
    process.exitCode = 1;
  } else
    console.log('licenses: every package is under a permissive license or a reviewed exception');
}
