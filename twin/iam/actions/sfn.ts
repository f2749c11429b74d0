import type { AccessRequest } from '../policy-engine.ts';

/**
 * What IAM evaluates for each Step Functions operation the twin serves: the state machine's
 * ARN for the calls on a state machine, the execution's ARN for the calls on an execution,
 * `*` for ListStateMachines.
 */

type Rule = (input: Record<string, unknown>) => AccessRequest[];

const on =
  (operation: string, member: 'stateMachineArn' | 'executionArn'): Rule =>
  (input) => [{ action: `states:${operation}`, resource: String(input[member] ?? '') }];

export const SFN_ACCESS: Readonly<Record<string, Rule>> = {
  ListStateMachines: () => [{ action: 'states:ListStateMachines', resource: '*' }],
  DescribeStateMachine: on('DescribeStateMachine', 'stateMachineArn'),
  StartExecution: on('StartExecution', 'stateMachineArn'),
  ListExecutions: on('ListExecutions', 'stateMachineArn'),
  DescribeExecution: on('DescribeExecution', 'executionArn'),
  StopExecution: on('StopExecution', 'executionArn'),
  GetExecutionHistory: on('GetExecutionHistory', 'executionArn'),
  DescribeStateMachineForExecution: on('DescribeStateMachineForExecution', 'executionArn'),
};
