import { applyPostImport } from '../src/workflow/post-import.ts';
import type { PartItem, PostImportState } from '../src/workflow/types.ts';
import { taskHandler } from './lib/task-handler.ts';

export const handler = taskHandler<PartItem, PostImportState>(applyPostImport);
