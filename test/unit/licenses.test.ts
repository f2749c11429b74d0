import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkLicenses,
  declaredLicense,
  EXCEPTIONS,
  isPermissive,
} from '../../scripts/check-licenses.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('SPDX expressions', () => {
  it.each([
    ['MIT', true],
    ['mit', true],
    ['(MIT OR Apache-2.0)', true],
    ['MIT AND ISC', true],
    ['(MIT AND BSD-3-Clause) OR GPL-3.0-only', true],
    ['GPL-2.0-only OR MIT', true],
    ['Apache-2.0 WITH LLVM-exception', true],
    ['BlueOak-1.0.0', true],
    ['Python-2.0', true],
    ['MIT AND GPL-3.0-or-later', false],
    ['AGPL-3.0-only', false],
    ['GPL-2.0+', false],
    ['GPL-2.0-only WITH Classpath-exception-2.0', false],
    ['MPL-2.0', false],
    ['LGPL-3.0-or-later OR SSPL-1.0', false],
  ])('%s is permissive: %s', (expression, permissive) => {
    expect(isPermissive(expression)).toBe(permissive);
  });

  it('refuses what is not an SPDX expression', () => {
    for (const text of ['SEE LICENSE IN LICENSE.md', '(MIT OR', 'MIT OR OR ISC', 'MIT ISC'])
      expect(() => isPermissive(text), text).toThrow(/not an SPDX expression/);
  });

  it("reads npm's historical forms of the license field", () => {
    expect(declaredLicense({ license: 'ISC' })).toBe('ISC');
    expect(declaredLicense({ license: { type: 'MIT', url: 'https://example.com' } })).toBe('MIT');
    expect(declaredLicense({ licenses: [{ type: 'MIT' }, { type: 'Apache-2.0' }] })).toBe(
      '(MIT OR Apache-2.0)',
    );
    expect(declaredLicense({ licenses: [{ type: 'BSD-2-Clause' }] })).toBe('BSD-2-Clause');
    expect(declaredLicense({})).toBeUndefined();
  });
});

describe('the dependency tree', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A project whose lockfile names these packages, installed with these manifests. */
  function project(packages: Record<string, Record<string, unknown>>) {
    dir = mkdtempSync(join(tmpdir(), 'licenses-'));
    const lock: Record<string, unknown> = { '': { name: 'p', license: 'MIT' } };
    for (const [path, manifest] of Object.entries(packages)) {
      lock[path] = { version: '1.0.0', dev: true, license: manifest.license };
      mkdirSync(join(dir, path), { recursive: true });
      writeFileSync(join(dir, path, 'package.json'), JSON.stringify(manifest));
    }
    writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ packages: lock }));
    return dir;
  }

  it('fails a copyleft package anywhere, a package with no license and one with a free-text license', () => {
    const root = project({
      'node_modules/ok': { name: 'ok', version: '1.0.0', license: 'MIT' },
      'node_modules/ok/node_modules/deep-gpl': {
        name: 'deep-gpl',
        version: '2.0.0',
        license: 'GPL-3.0-only',
      },
      'node_modules/old-style': { name: 'old-style', licenses: [{ type: 'AGPL-3.0' }] },
      'node_modules/silent': { name: 'silent', version: '0.1.0' },
      'node_modules/see-file': { name: 'see-file', license: 'SEE LICENSE IN LICENSE' },
    });
    const report = checkLicenses(root, []);
    expect(report.packages).toBe(5);
    expect(report.problems.map((p) => `${p.name} ${p.problem}`)).toEqual([
      'deep-gpl is not under a permissive license',
      'old-style is not under a permissive license',
      'silent declares no license',
      'see-file declares a license that is not an SPDX expression',
    ]);
  });

  it('accepts a package by a reviewed exception only while it declares the excepted license, and fails a stale exception', () => {
    const exception = { name: /^css-tool$/, license: 'MPL-2.0', reason: 'reviewed' };
    const accepted = checkLicenses(
      project({ 'node_modules/css-tool': { name: 'css-tool', license: 'MPL-2.0' } }),
      [exception],
    );
    expect(accepted.problems).toEqual([]);
    expect(accepted.excepted).toEqual([{ path: 'node_modules/css-tool', license: 'MPL-2.0' }]);
    rmSync(dir, { recursive: true, force: true });
    const relicensed = checkLicenses(
      project({ 'node_modules/css-tool': { name: 'css-tool', license: 'GPL-3.0-only' } }),
      [exception],
    );
    expect(relicensed.problems.map((p) => p.problem)).toEqual([
      'is not under a permissive license',
      'is an exception that no package needs any more: remove it',
    ]);
  });

  it("passes this project's tree with no exception", () => {
    const report = checkLicenses(ROOT);
    expect(report.problems).toEqual([]);
    expect(report.packages).toBeGreaterThan(100);
    expect(EXCEPTIONS).toEqual([]);
    expect(report.excepted).toEqual([]);
  });
});
