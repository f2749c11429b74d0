import type { PreparedRun, ValidationSummary } from '../src/workflow/types.ts';
import { validateCsv } from '../src/workflow/validate.ts';
import { taskHandler } from './lib/task-handler.ts';

export const handler = taskHandler<PreparedRun, ValidationSummary>(validateCsv);
