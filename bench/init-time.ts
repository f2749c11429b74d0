/*
 * Module init time of each deployed Lambda bundle (target ≤ 150 ms): the cost a cold
 * start pays to load the handler module before the first event, bundled AWS SDK clients and
 * all.
 *
 * The bundles are the ones `osls package` builds from serverless.yml (scripts/packaging.ts:
 * packaged offline, cached while nothing that goes into them changes). For each bundle, a fresh
 * Node process per repetition times `await import(bundle)` from the inside, so Node's own start-up
 * is not counted; the median of the repetitions is reported, with the zip and module sizes and
 * the time from process start to "handler ready" for reference. Each runs as on Lambda with
 * tracing Active (the X-Ray tracer loads); "untraced" is the same import outside Lambda (the
 * local twin, the tests), where it does not.
 *
 *   node bench/init-time.ts [--reps N] [--fresh]
 *
 * Prints a table; exits non-zero when a bundle misses the target. These are figures for this
 * machine: a Lambda with little memory has a fraction of a vCPU and loads more slowly.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  bundlesOf,
  CAN_ISOLATE_NETWORK,
  extractBundles,
  packageStack,
} from '../scripts/packaging.ts';

const TARGET_MS = 150;
const run = promisify(execFile);

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} needs a whole number ≥ 1.`);
  return value;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/**
 * What Lambda sets that changes what a bundle loads: in a Lambda execution environment, with the
 * function's tracing Active (serverless.yml), Powertools loads the X-Ray tracer. No credentials,
 * no endpoints: loading a bundle must not depend on any.
 */
const LAMBDA_ENV = {
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  AWS_LAMBDA_FUNCTION_NAME: 'init-time-bench',
  AWS_REGION: 'us-east-1',
};

/** One fresh process: how long `import()` of the bundle takes, and process start → ready. */
async function measure(
  modulePath: string,
  env: Record<string, string> = LAMBDA_ENV,
): Promise<{ importMs: number; readyMs: number }> {
  const url = pathToFileURL(modulePath).href;
  const { stdout } = await run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const t0 = performance.now();
       const m = await import(${JSON.stringify(url)});
       const t1 = performance.now();
       if (typeof m.handler !== 'function') throw new Error('no handler');
       console.log(JSON.stringify({ importMs: t1 - t0, readyMs: t1 }));`,
    ],
    { env: { PATH: process.env.PATH ?? '', ...env } },
  );
  return JSON.parse(stdout) as { importMs: number; readyMs: number };
}

export async function runInitTimeBench(): Promise<boolean> {
  const reps = option('--reps', 7);
  const stack = await packageStack({ fresh: process.argv.includes('--fresh') });
  console.log(
    stack.cached
      ? `bundles: cached osls package output (${stack.dir})`
      : `bundles: osls package --stage test took ${stack.seconds.toFixed(1)} s (no credentials${CAN_ISOLATE_NETWORK ? ', no network' : ''})`,
  );
  const bundles = bundlesOf(stack);
  const dir = mkdtempSync(join(tmpdir(), 'cognito-import-init-'));
  let ok = true;
  try {
    const modules = extractBundles(bundles, dir);
    console.log(
      `Node ${process.versions.node}, ${reps} fresh processes per bundle, target ≤ ${TARGET_MS} ms (median import)\n`,
    );
    const header = [
      'function',
      'zip KB',
      'module KB',
      'import ms (median)',
      'min',
      'max',
      'ready ms',
      'untraced ms',
      '',
    ];
    const rows: string[][] = [];
    for (const bundle of bundles) {
      const samples: { importMs: number; readyMs: number }[] = [];
      // One warm-up process (file cache), not counted.
      await measure(modules.get(bundle.key) as string);
      const untraced: number[] = [];
      for (let i = 0; i < reps; i++) {
        samples.push(await measure(modules.get(bundle.key) as string));
        untraced.push((await measure(modules.get(bundle.key) as string, {})).importMs);
      }
      const imports = samples.map((s) => s.importMs);
      const med = median(imports);
      const pass = med <= TARGET_MS;
      ok &&= pass;
      rows.push([
        bundle.key,
        (bundle.zipBytes / 1024).toFixed(0),
        ((bundle.files.get(bundle.handlerFile) as Buffer).length / 1024).toFixed(0),
        med.toFixed(1),
        Math.min(...imports).toFixed(1),
        Math.max(...imports).toFixed(1),
        median(samples.map((s) => s.readyMs)).toFixed(1),
        median(untraced).toFixed(1),
        pass ? 'ok' : 'OVER TARGET',
      ]);
    }
    const widths = header.map((h, i) =>
      Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)),
    );
    const line = (cells: string[]) =>
      cells
        .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
        .join('  ');
    console.log(line(header));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const row of rows) console.log(line(row));
    console.log(
      ok ? '\nall bundles within the init-time target' : '\nsome bundles miss the init-time target',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return ok;
}

if (import.meta.main) {
  const ok = await runInitTimeBench();
  if (!ok) process.exitCode = 1;
}
