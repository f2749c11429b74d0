import middy from '@middy/core';
import { functionDeps } from '../src/aws/function-deps.ts';
import type { PreparedRun, ValidationSummary } from '../src/workflow/types.ts';
import { validateCsv } from '../src/workflow/validate.ts';

export const handler = middy<PreparedRun, ValidationSummary>().handler((event) =>
  validateCsv(event, functionDeps()),
);
