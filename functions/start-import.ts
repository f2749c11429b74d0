import { type StartResult, startImport } from '../src/workflow/start.ts';
import { taskHandler } from './lib/task-handler.ts';

export const handler = taskHandler<unknown, StartResult[], 'stateMachineArn'>(
  (event, deps) =>
    startImport(event, {
      sfn: deps.sfn,
      stateMachineArn: deps.config.stateMachineArn,
      log: deps.log,
    }),
  { needs: ['stateMachineArn'] },
);
