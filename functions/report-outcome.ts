import middy from '@middy/core';
import { functionDeps } from '../src/aws/function-deps.ts';
import { type ReportInput, reportOutcome } from '../src/workflow/report.ts';
import type { Outcome } from '../src/workflow/types.ts';

export const handler = middy<ReportInput, Outcome>().handler((event) =>
  reportOutcome(event, functionDeps()),
);
