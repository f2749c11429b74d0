/*
 * One measurement in a fresh process, so that its peak RSS is its own:
 *   node csv-child.ts <floor|csv-parse|validator> <file> <rules.json>
 * Prints one JSON line: { ms, bytes, rows, invalidRows, maxRssMb, startRssMb }.
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { nullSink, type PoolRules, validateCsv } from '../src/csv/index.ts';

const [mode, path, rulesPath] = process.argv.slice(2);
if (!mode || !path || !rulesPath) throw new Error('usage: csv-child <mode> <file> <rules.json>');
const rules = JSON.parse(readFileSync(rulesPath, 'utf8')) as PoolRules;
const bytes = statSync(path).size;
// Chunks as a Lambda gets them from an S3 body: fresh buffers, 1 MiB at most.
const stream = () => createReadStream(path, { highWaterMark: 1 << 20 });
const startRssMb = process.memoryUsage().rss / 2 ** 20;

const start = performance.now();
let rows = 0;
let invalidRows = 0;
if (mode === 'floor') {
  for await (const chunk of stream() as AsyncIterable<Buffer>) {
    let i = chunk.indexOf(10);
    while (i >= 0) {
      rows++;
      i = chunk.indexOf(10, i + 1);
    }
  }
} else if (mode === 'csv-parse') {
  const { baselineValidate } = await import('./csv-parse-baseline.ts');
  const result = await baselineValidate(path, rules);
  rows = result.rows;
  invalidRows = result.invalidRows;
} else if (mode === 'validator') {
  // Full work: every rule, normalisation, the split into parts, the line map and the
  // rejected rows, all to sinks that drop the bytes.
  const report = await validateCsv(stream(), rules, {
    invalidRows: 'skip',
    // The file is split into parts, so the source itself may exceed one part's limits.
    limits: { maxFileBytes: Number.MAX_SAFE_INTEGER, maxFileRows: Number.MAX_SAFE_INTEGER },
    parts: () => nullSink,
    map: nullSink,
    rejected: nullSink,
    sourceBytes: bytes,
  });
  rows = report.rows;
  invalidRows = report.invalidRows;
} else {
  throw new Error(`unknown mode ${mode}`);
}
const ms = performance.now() - start;
const maxRssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({ ms, bytes, rows, invalidRows, maxRssMb, startRssMb })}\n`);
