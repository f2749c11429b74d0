import middy from '@middy/core';
import { functionDeps } from '../src/aws/function-deps.ts';
import { type StartResult, startImport } from '../src/workflow/start.ts';

export const handler = middy<unknown, StartResult[]>().handler((event) => {
  const deps = functionDeps();
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
