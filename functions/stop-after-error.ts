import { type StopAfterErrorResult, stopAfterError } from '../src/workflow/jobs.ts';
import type { PartItem } from '../src/workflow/types.ts';
import { taskHandler } from './lib/task-handler.ts';

export const handler = taskHandler<PartItem, StopAfterErrorResult>(stopAfterError);
