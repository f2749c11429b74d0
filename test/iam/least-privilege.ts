/**
 * Least privilege, measured: every action the stack's roles grant must be one the functions
 * were seen to use on the twin, or one the twin cannot exercise, listed here with the reason.
 */

import type { PolicyStatement } from '../../twin/iam/policy-engine.ts';
import type { RoleDefinition } from '../../twin/index.ts';

/** Granted actions the twin never evaluates, and why. */
export const NOT_EXERCISED: { role: RegExp; action: RegExp; why: string }[] = [
  {
    role: /./,
    action: /^xray:/,
    why: 'Tracing is off on the twin (there is no X-Ray daemon): on AWS, Lambda and Step Functions send the trace segments with these roles.',
  },
  {
    role: /-(StartImportRole|SweepExecutionRole)$/,
    action: /^sqs:SendMessage$/,
    why: "Lambda's on-failure destination for an asynchronous invocation that failed every retry (a dead-letter queue): the twin has no SQS; its host reports the failure instead.",
  },
  {
    role: /-SweepExecutionRole$/,
    action: /^cognito-idp:DescribeUserImportJob$/,
    why: "A job that ends on its own between the sweeper's ListUserImportJobs and its StopUserImportJob is read instead: a race no workflow test stages (test/unit/workflow/sweep.test.ts makes the calls).",
  },
  {
    role: /-ValidateCsvRole$/,
    action: /^s3:GetObject$/,
    why: "ValidateCsv reads the version PrepareImport found; an object without a version id (a bucket whose versioning was suspended) is read as s3:GetObject. The twin's bucket, like the stack's, versions every object.",
  },
  {
    role: /-ImportUsersStateMachineRole$/,
    action: /^logs:/,
    why: "Step Functions' delivery of execution logs to CloudWatch Logs (the vended-log APIs), which the twin does not do.",
  },
];

const statementsOf = (role: RoleDefinition): PolicyStatement[] =>
  role.policies.flatMap((p) => ([] as PolicyStatement[]).concat(p.document.Statement));

/** `role action` of every action each role allows (as written; wildcards kept). */
export function grantsOf(roles: RoleDefinition[]): string[] {
  const grants = new Set<string>();
  for (const role of roles)
    for (const statement of statementsOf(role))
      if (statement.Effect === 'Allow')
        for (const action of ([] as string[]).concat(statement.Action ?? []))
          grants.add(`${role.name} ${action}`);
  return [...grants].sort();
}

const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );

/**
 * The grants no recorded call used: `unused` (a finding) and `excused` (the twin cannot take the
 * path that uses them, see {@link NOT_EXERCISED}).
 */
export function unusedGrants(
  roles: RoleDefinition[],
  allowed: Iterable<string>,
): { unused: string[]; excused: { grant: string; why: string }[] } {
  const used = [...allowed];
  const unused: string[] = [];
  const excused: { grant: string; why: string }[] = [];
  for (const grant of grantsOf(roles)) {
    const [role, action] = grant.split(' ') as [string, string];
    const pattern = glob(action);
    if (used.some((u) => u.startsWith(`${role} `) && pattern.test(u.slice(role.length + 1))))
      continue;
    const exception = NOT_EXERCISED.find((e) => e.role.test(role) && e.action.test(action));
    if (exception) excused.push({ grant, why: exception.why });
    else unused.push(grant);
  }
  return { unused, excused };
}
