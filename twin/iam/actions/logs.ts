import type { AccessRequest } from '../policy-engine.ts';

/**
 * What IAM evaluates for each CloudWatch Logs operation the twin serves: the log group's ARN,
 * written `arn:aws:logs:<region>:<account>:log-group:<name>:*` (the form DescribeLogGroups
 * returns, which a policy's `…:log-group:<name>:*` or `…:log-group:<prefix>*` matches), the log
 * stream's for GetLogEvents, and for DescribeLogGroups, a list action, `log-group::log-stream:`
 * whatever prefix the call names (resources/iam.yml explains the grant that follows from it).
 */

export interface LogsAccessContext {
  account: string;
  region: string;
}

type Rule = (input: Record<string, unknown>, at: LogsAccessContext) => AccessRequest[];

/** The group a call names, by name or by ARN (logGroupIdentifier). */
function groupName(input: Record<string, unknown>): string {
  const identifier = String(input.logGroupIdentifier ?? '');
  if (identifier.startsWith('arn:'))
    return identifier.replace(/^arn:[^:]+:logs:[^:]*:[^:]*:log-group:/, '').replace(/:\*$/, '');
  return String(input.logGroupName ?? identifier);
}

const onGroup =
  (operation: string): Rule =>
  (input, at) => [
    {
      action: `logs:${operation}`,
      resource: `arn:aws:logs:${at.region}:${at.account}:log-group:${groupName(input)}:*`,
    },
  ];

export const LOGS_ACCESS: Readonly<Record<string, Rule>> = {
  // Reading one stream's events is authorized on the stream.
  GetLogEvents: (input, at) => [
    {
      action: 'logs:GetLogEvents',
      resource: `arn:aws:logs:${at.region}:${at.account}:log-group:${groupName(input)}:log-stream:${String(input.logStreamName ?? '')}`,
    },
  ],
  FilterLogEvents: onGroup('FilterLogEvents'),
  DescribeLogStreams: onGroup('DescribeLogStreams'),
  DescribeLogGroups: (_input, at) => [
    {
      action: 'logs:DescribeLogGroups',
      resource: `arn:aws:logs:${at.region}:${at.account}:log-group::log-stream:`,
    },
  ],
};
