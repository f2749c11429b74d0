/*
 * `npm run bench`: every benchmark of the project, one after the other. Not a test: it prints
 * numbers and sets a non-zero exit code when a target is missed.
 */
import { runCsvBench } from './csv.ts';

const args = process.argv.slice(2);
let ok = true;
ok = (await runCsvBench(args)) && ok;
if (!ok) process.exitCode = 1;
