import type { AccessRequest } from '../policy-engine.ts';

/**
 * What IAM evaluates for each Step Functions operation the twin serves: the state machine's
 * ARN for the calls on a state machine (a start through an alias: see `start`), the execution's
 * ARN for the calls on an execution, `*` for ListStateMachines.
 */

type Rule = (input: Record<string, unknown>) => AccessRequest[];

const on =
  (operation: string, member: 'stateMachineArn' | 'executionArn'): Rule =>
  (input) => [{ action: `states:${operation}`, resource: String(input[member] ?? '') }];

/**
 * A start through an alias or a version (`<state machine ARN>:<qualifier>`) is authorized on the
 * state machine's own ARN, with the qualifier as `states:StateMachineQualifier`.
 */
const start: Rule = (input) => {
  const arn = String(input.stateMachineArn ?? '');
  const qualified = /^(arn:[^:]+:states:[^:]*:[^:]*:stateMachine:[^:]+):([^:]+)$/.exec(arn);
  if (!qualified) return [{ action: 'states:StartExecution', resource: arn }];
  return [
    {
      action: 'states:StartExecution',
      resource: qualified[1] as string,
      context: { 'states:StateMachineQualifier': [qualified[2] as string] },
    },
  ];
};

export const SFN_ACCESS: Readonly<Record<string, Rule>> = {
  ListStateMachines: () => [{ action: 'states:ListStateMachines', resource: '*' }],
  DescribeStateMachine: on('DescribeStateMachine', 'stateMachineArn'),
  StartExecution: start,
  ListExecutions: on('ListExecutions', 'stateMachineArn'),
  DescribeExecution: on('DescribeExecution', 'executionArn'),
  StopExecution: on('StopExecution', 'executionArn'),
  GetExecutionHistory: on('GetExecutionHistory', 'executionArn'),
  DescribeStateMachineForExecution: on('DescribeStateMachineForExecution', 'executionArn'),
};
