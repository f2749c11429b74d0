import middy from '@middy/core';
import { functionDeps } from '../src/aws/function-deps.ts';
import { type PrepareInput, prepareImport } from '../src/workflow/prepare.ts';
import type { PreparedRun } from '../src/workflow/types.ts';

export const handler = middy<PrepareInput, PreparedRun>().handler((event) =>
  prepareImport(event, functionDeps()),
);
