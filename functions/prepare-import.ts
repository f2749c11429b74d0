import { type PrepareInput, prepareImport } from '../src/workflow/prepare.ts';
import type { PreparedRun } from '../src/workflow/types.ts';
import { taskHandler } from './lib/task-handler.ts';

export const handler = taskHandler<PrepareInput, PreparedRun>(prepareImport);
