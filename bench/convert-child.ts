/**
 * One measured conversion, in its own process so that its peak RSS is its own: runs the
 * `convert` command's function with the given arguments, then prints the report and
 * `maxRSS` as one JSON line.
 *   node bench/convert-child.ts <convert arguments…>
 */
import { convert } from '../src/cli/convert.ts';

const lines: string[] = [];
const started = performance.now();
const code = await convert(process.argv.slice(2), {
  out: (line) => void lines.push(line),
  err: () => {},
  errRaw: () => {},
  isTty: false,
});
const seconds = (performance.now() - started) / 1000;
console.log(
  JSON.stringify({
    code,
    seconds,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    report: JSON.parse(lines.join('\n')),
  }),
);
