/*
 * The CSV benchmark: on one generated ~100 MB file, in one run,
 * measure the raw read floor, a straightforward csv-parse implementation of the same rules, and
 * the validator (every rule + normalisation + split to null sinks), each in its own child
 * process so that peak RSS is its own. Prints MB/s, rows/s, peak RSS and the ratios.
 *
 * The children run the sources with types stripped ahead of time (node:module's
 * stripTypeScriptTypes, the same erasure esbuild does for the deployed Lambda), because Node's
 * on-the-fly type stripping costs ~30 MB of RSS that a deployed function does not pay. The
 * validator is also run once straight from the .ts sources, and that RSS is printed too.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { benchRules, generateBenchCsv } from './csv-fixture.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'bench/out');
const FILE = join(OUT, 'users-bench.csv');
const JS = join(OUT, 'js');

interface Measure {
  ms: number;
  bytes: number;
  rows: number;
  invalidRows: number;
  maxRssMb: number;
  startRssMb: number;
}

// stripTypeScriptTypes is marked experimental in Node 22 and says so on every call.
function quietly<T>(f: () => T): T {
  const emit = process.emitWarning;
  process.emitWarning = () => {};
  try {
    return f();
  } finally {
    process.emitWarning = emit;
  }
}

/** Writes `file` (relative to the repo) to bench/out/js with its types stripped. */
function stripInto(file: string): void {
  const code = readFileSync(join(ROOT, file), 'utf8');
  const js = quietly(() => stripTypeScriptTypes(code, { mode: 'strip' })).replace(
    /((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]+)\.ts\2/g,
    '$1$2$3.js$2',
  );
  const target = join(JS, file.replace(/\.ts$/, '.js'));
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, js);
}

function prepareStrippedSources(): string {
  const csvDir = join(ROOT, 'src/csv');
  for (const f of readdirSync(csvDir)) {
    if (f.endsWith('.ts')) stripInto(relative(ROOT, join(csvDir, f)));
  }
  stripInto('bench/csv-child.ts');
  stripInto('bench/csv-parse-baseline.ts');
  // Mark the tree as ES modules, like the repository's package.json does.
  writeFileSync(join(JS, 'package.json'), '{ "type": "module" }\n');
  return join(JS, 'bench/csv-child.js');
}

async function child(script: string, mode: string, rulesPath: string): Promise<Measure> {
  const { stdout } = await run(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', script, mode, FILE, rulesPath],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop() as string) as Measure;
}

async function best(script: string, mode: string, rulesPath: string, reps: number) {
  const runs: Measure[] = [];
  for (let i = 0; i < reps; i++) runs.push(await child(script, mode, rulesPath));
  const fastest = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
  return { ...fastest, maxRssMb: Math.max(...runs.map((r) => r.maxRssMb)), runs };
}

const mbps = (m: Measure) => m.bytes / 1e6 / (m.ms / 1000);
const fmt = (n: number, digits = 1) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * Runs the CSV benchmark and prints its table.
 *
 * @param args - `--reps N` (default 3), `--rows N` (default 520,000)
 * @returns whether both targets were met
 */
export async function runCsvBench(args: string[] = []): Promise<boolean> {
  const opt = (name: string, fallback: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const reps = opt('--reps', 3);
  const rowsWanted = opt('--rows', 520_000);
  const size = await generateBenchCsv(FILE, rowsWanted);
  const rulesPath = join(OUT, 'bench-rules.json');
  writeFileSync(rulesPath, JSON.stringify(benchRules()));
  const script = prepareStrippedSources();

  console.log(`CSV benchmark: ${relative(ROOT, FILE)}, ${fmt(size / 1e6)} MB, best of ${reps}`);
  const floor = await best(script, 'floor', rulesPath, reps);
  const ours = await best(script, 'validator', rulesPath, reps);
  const baseline = await best(script, 'csv-parse', rulesPath, Math.min(reps, 2));
  const onTheFly = await child(join(ROOT, 'bench/csv-child.ts'), 'validator', rulesPath);

  const rows: [string, Measure, string][] = [
    ['read floor (read + count LF)', floor, 'lines'],
    ['csv-parse baseline', baseline, 'rows'],
    ['validator (ours)', ours, 'rows'],
  ];
  console.log(
    `${'measure'.padEnd(30)}${'MB/s'.padStart(9)}${'rows/s'.padStart(12)}${'peak RSS'.padStart(11)}${'÷ floor'.padStart(9)}${'× csv-parse'.padStart(13)}`,
  );
  for (const [name, m] of rows) {
    console.log(
      `${name.padEnd(30)}${fmt(mbps(m)).padStart(9)}${fmt(m.rows / (m.ms / 1000), 0).padStart(12)}${`${fmt(m.maxRssMb, 0)} MB`.padStart(11)}${fmt(mbps(m) / mbps(floor), 3).padStart(9)}${fmt(mbps(m) / mbps(baseline), 2).padStart(13)}`,
    );
  }
  console.log(
    `validator: ${ours.rows.toLocaleString('en-US')} rows, ${ours.invalidRows.toLocaleString('en-US')} invalid; csv-parse baseline: ${baseline.rows.toLocaleString('en-US')} rows, ${baseline.invalidRows.toLocaleString('en-US')} invalid`,
  );
  console.log(
    `validator child RSS before reading: ${fmt(ours.startRssMb, 0)} MB; run straight from .ts (Node strips types on load): peak ${fmt(onTheFly.maxRssMb, 0)} MB, ${fmt(mbps(onTheFly))} MB/s`,
  );
  const ratio = mbps(ours) / mbps(baseline);
  const speedOk = ratio >= 6;
  const memoryOk = ours.maxRssMb <= 128;
  console.log(
    `targets: throughput ≥ 6× csv-parse: ${fmt(ratio, 1)}× ${speedOk ? 'PASS' : 'FAIL'}; peak RSS ≤ 128 MB: ${fmt(ours.maxRssMb, 0)} MB ${memoryOk ? 'PASS' : 'FAIL'}`,
  );
  return speedOk && memoryOk;
}
