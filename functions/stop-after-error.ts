import middy from '@middy/core';
import { functionDeps } from '../src/aws/function-deps.ts';
import { stopAfterError } from '../src/workflow/jobs.ts';
import type { PartItem } from '../src/workflow/types.ts';

export const handler = middy<PartItem, Awaited<ReturnType<typeof stopAfterError>>>().handler(
  (event) => stopAfterError(event, functionDeps()),
);
