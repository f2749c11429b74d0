import { createImportJob } from '../src/workflow/jobs.ts';
import type { JobState, PartItem } from '../src/workflow/types.ts';
import { taskHandler } from './lib/task-handler.ts';

export const handler = taskHandler<PartItem, JobState, 'logsRoleArn'>(createImportJob, {
  needs: ['logsRoleArn'],
});
