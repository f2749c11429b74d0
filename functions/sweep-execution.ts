import {
  type ExecutionStatusChange,
  type SweepResult,
  sweepExecution,
} from '../src/workflow/sweep.ts';
import { taskHandler } from './lib/task-handler.ts';

export const handler = taskHandler<ExecutionStatusChange, SweepResult, 'topicArn'>(
  (event, deps) =>
    sweepExecution(event, {
      ...deps,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    }),
  { needs: ['topicArn'] },
);
