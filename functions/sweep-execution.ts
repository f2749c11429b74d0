import middy from '@middy/core';
import { functionDeps } from '../src/aws/function-deps.ts';
import {
  type ExecutionStatusChange,
  type SweepResult,
  sweepExecution,
} from '../src/workflow/sweep.ts';

export const handler = middy<ExecutionStatusChange, SweepResult>().handler((event) => {
  const deps = functionDeps();
  return sweepExecution(event, {
    ...deps,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
});
