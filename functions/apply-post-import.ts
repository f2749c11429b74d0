// Temporary, on branch i15wire only, so that the state machine's contract tests can load the
// handler ApplyPostImport names: the post-import helper's handler replaces this file at merge.
import type { PartItem, PostImportState } from '../src/workflow/types.ts';
import { taskHandler } from './lib/task-handler.ts';

export const handler = taskHandler<PartItem, PostImportState>(async () => {
  throw new Error('The post-import phase is not built on this branch.');
});
