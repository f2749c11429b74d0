#!/usr/bin/env node
import { main } from '../src/cli/main.ts';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`cognito-import: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 2;
  },
);
