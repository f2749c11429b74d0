import middy from '@middy/core';
import { functionDeps } from '../src/aws/function-deps.ts';
import { stopImportJob } from '../src/workflow/jobs.ts';
import type { JobState, PartItem } from '../src/workflow/types.ts';

export const handler = middy<PartItem, JobState>().handler((event) =>
  stopImportJob(event, functionDeps()),
);
