import { type ReportInput, reportOutcome } from '../src/workflow/report.ts';
import type { Outcome } from '../src/workflow/types.ts';
import { taskHandler } from './lib/task-handler.ts';

export const handler = taskHandler<ReportInput, Outcome, 'topicArn'>(reportOutcome, {
  needs: ['topicArn'],
});
