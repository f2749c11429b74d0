import { type StartResult, startImport } from '../src/workflow/start.ts';
import { taskHandler } from './lib/task-handler.ts';

export const handler = taskHandler<unknown, StartResult[]>(async (event, deps) => {
  if (!deps.config.stateMachineArn)
    throw new Error(
      'STATE_MACHINE_ARN is not set: the starter does not know which state machine to start.',
    );
  return startImport(event, {
    sfn: deps.sfn,
    stateMachineArn: deps.config.stateMachineArn,
    log: deps.log,
  });
});
