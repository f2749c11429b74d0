import middy from '@middy/core';
import { functionDeps } from '../src/aws/function-deps.ts';
import { startImportJob } from '../src/workflow/jobs.ts';
import type { JobState, PartItem } from '../src/workflow/types.ts';

export const handler = middy<PartItem, JobState>().handler((event) =>
  startImportJob(event, functionDeps()),
);
