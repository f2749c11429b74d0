import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

// The import rules of docs/ARCHITECTURE.md, "Layers and import rules", checked over the real
// import graph: every relative import (static or dynamic) of every TypeScript file, resolved to
// the file it names.

const ROOT = resolve(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts')) out.push(path.split(sep).join('/'));
  }
  return out;
}

const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;

/** The repository-relative files a file imports. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) =>
    relative(ROOT, resolve(ROOT, dirname(file), m[2] as string))
      .split(sep)
      .join('/'),
  );
}

function violations(files: string[], forbidden: (target: string) => boolean): string[] {
  return files.flatMap((file) =>
    importsOf(file)
      .filter(forbidden)
      .map((target) => `${file} -> ${target}`),
  );
}

const under =
  (...prefixes: string[]) =>
  (path: string) =>
    prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));

const PIPELINE = [
  ...sourceFiles('functions'),
  ...sourceFiles('src/workflow'),
  ...sourceFiles('src/csv'),
  ...sourceFiles('src/aws'),
  ...sourceFiles('src/cognito'),
  'src/config.ts',
  'src/errors.ts',
];

describe('the layers', () => {
  it('finds the imports it checks', () => {
    expect(importsOf('src/local/twin.ts')).toContain('twin/index.ts');
    expect(importsOf('src/workflow/validate.ts').some(under('src/csv'))).toBe(true);
    expect(importsOf('src/workflow/types.ts')).toContain('src/cognito/import-job.ts');
    expect(importsOf('functions/lib/deps.ts')).toContain('src/config.ts');
  });

  it('keeps the twin free of the pipeline: twin/ imports nothing outside twin/', () => {
    expect(violations(sourceFiles('twin'), (target) => !under('twin')(target))).toEqual([]);
  });

  it('keeps the pipeline free of the twin, the host and the CLI', () => {
    expect(violations(PIPELINE, under('twin', 'src/local', 'src/cli', 'test', 'bench'))).toEqual(
      [],
    );
  });

  it('lets the host and the CLI reach the twin only through its public index', () => {
    const hostAndCli = [
      ...sourceFiles('src/local'),
      ...sourceFiles('src/cli'),
      'bin/cognito-import.ts',
    ];
    expect(
      violations(hostAndCli, (target) => under('twin')(target) && target !== 'twin/index.ts'),
    ).toEqual([]);
  });

  it('keeps the CSV engine pure: src/csv imports nothing else of the project', () => {
    expect(violations(sourceFiles('src/csv'), (target) => !under('src/csv')(target))).toEqual([]);
  });

  it('keeps the converters pure: src/convert imports nothing of the project but the CSV engine', () => {
    expect(
      violations(sourceFiles('src/convert'), (t) => !under('src/convert', 'src/csv')(t)),
    ).toEqual([]);
    expect(importsOf('src/convert/hashes.ts').some(under('src/csv'))).toBe(true);
  });

  // Inside the pipeline, each layer imports only the ones below it:
  // config.ts, errors.ts  <-  csv  <-  cognito, aws  <-  workflow  <-  functions (the handlers and
  // their composition root, functions/lib/deps.ts). config.ts reads one setting with a rule of
  // src/cognito (allowed-pools.ts, which needs only the pool-id check).
  it('keeps config and errors at the bottom: errors imports nothing, config only its pool-setting parser', () => {
    expect(violations(['src/errors.ts'], () => true)).toEqual([]);
    expect(
      violations(
        ['src/config.ts'],
        (target) => !under('src/cognito/allowed-pools.ts', 'src/cognito/pool-id.ts')(target),
      ),
    ).toEqual([]);
    expect(
      violations(['src/cognito/allowed-pools.ts'], (t) => t !== 'src/cognito/pool-id.ts'),
    ).toEqual([]);
  });

  it('keeps the AWS and Cognito helpers below the workflow: they import only each other, csv, config and errors', () => {
    const helpers = [...sourceFiles('src/cognito'), ...sourceFiles('src/aws')];
    const allowed = under('src/csv', 'src/cognito', 'src/aws', 'src/config.ts', 'src/errors.ts');
    expect(violations(helpers, (target) => !allowed(target))).toEqual([]);
  });

  it('keeps the workflow below the handlers: src/workflow imports nothing from functions/', () => {
    expect(violations(sourceFiles('src/workflow'), under('functions'))).toEqual([]);
  });

  it('keeps benchmarks and scripts off the tests', () => {
    const tools = [...sourceFiles('bench'), ...sourceFiles('scripts')];
    expect(violations(tools, under('test'))).toEqual([]);
    expect(violations(tools, (t) => under('twin')(t) && t !== 'twin/index.ts')).toEqual([]);
  });
});
