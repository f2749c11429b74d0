import type { Readable } from 'node:stream';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Sink } from '../aws/s3-sink.ts';
import { errorName } from '../aws/sdk-errors.ts';
import { createGroups, listGroupNames } from '../cognito/pool-groups.ts';
import { readPoolRules } from '../cognito/pool-rules.ts';
import type { FunctionConfig } from '../config.ts';
import {
  type ByteSink,
  type GroupsReport,
  validateCsv as runValidator,
  sniffGroupsColumn,
  type ValidationReport,
} from '../csv/index.ts';
import { lineMapKey, membershipsKey, partKey, rejectedRowsKey, validationKey } from './keys.ts';
import type { Log } from './telemetry.ts';
import {
  type GroupsSummary,
  MAX_LISTED_GROUPS,
  type PreparedRun,
  type Rejection,
  type ValidationSummary,
} from './types.ts';

export interface ValidateDeps {
  s3: S3Client;
  cognito: Pick<CognitoIdentityProviderClient, 'send'>;
  config: Pick<FunctionConfig, 'maxObjectBytes' | 'partLimits'>;
  log?: Log;
  /** The clock of the CreateGroup pace (tests); real time when left out. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The most groups one run creates: at the pace of `createGroups` (4 a second) about 8 minutes,
 * which the task's 15 minutes hold after a file of any size is validated.
 */
export const MAX_CREATED_GROUPS = 2_000;

function rejectionFor(report: ValidationReport): Rejection | undefined {
  if (report.fileErrors > 0) {
    const first =
      report.issues.find((issue) => issue.line <= 1 && issue.severity === 'error') ??
      report.issues.find((i) => i.severity === 'error');
    return {
      code: first?.code ?? 'file.invalid',
      reason: first
        ? `The file cannot be imported: ${first.message}`
        : 'The file cannot be imported.',
    };
  }
  if (!report.valid) {
    const unknownGroups = report.counts['groups.unknown'] ?? 0;
    return {
      code: 'rows.invalid',
      reason: `${report.invalidRows.toLocaleString('en')} of ${report.rows.toLocaleString('en')} rows are invalid; see the validation report, or run with invalidRows "skip" to import the others.${unknownGroups > 0 ? ` ${unknownGroups.toLocaleString('en')} of them name groups the user pool does not have: the option createGroups creates them.` : ''}`,
    };
  }
  if (report.acceptedRows === 0)
    return { code: 'rows.none', reason: 'The file has no rows to import.' };
  return undefined;
}

/**
 * A sink that opens its object only when the first bytes come: the validator writes the
 * memberships only for a file with a `cognito:groups` column, and no object is made otherwise.
 */
function openedOnWrite(open: () => ByteSink): ByteSink {
  let sink: ByteSink | undefined;
  return {
    write(chunk) {
      sink ??= open();
      return sink.write(chunk);
    },
    end() {
      return sink?.end();
    },
  };
}

/**
 * With `createGroups`, creates the groups the valid rows name that the pool lacks. A run that
 * would need more than {@link MAX_CREATED_GROUPS}, or more than the pool may hold, is refused.
 */
async function createMissingGroups(
  groups: GroupsReport,
  userPoolId: string,
  deps: ValidateDeps,
): Promise<{ created: string[]; rejection?: Rejection }> {
  if (groups.missingCount > MAX_CREATED_GROUPS) {
    return {
      created: [],
      rejection: {
        code: 'groups.too-many',
        reason: `The file names ${groups.missingCount.toLocaleString('en')} groups the user pool does not have; a run creates at most ${MAX_CREATED_GROUPS.toLocaleString('en')}: create them beforehand.`,
      },
    };
  }
  const result = await createGroups(deps.cognito, userPoolId, groups.missing, {
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  deps.log?.info('groups created', {
    created: result.created.length,
    existed: result.existed,
    missing: groups.missingCount,
  });
  if (result.failure === undefined) return { created: result.created };
  if (errorName(result.failure) !== 'LimitExceededException') throw result.failure;
  return {
    created: result.created,
    rejection: {
      code: 'groups.limit',
      reason: `The user pool cannot hold the ${groups.missingCount.toLocaleString('en')} groups the file names that it lacks (Cognito's quota of groups per pool); ${result.created.length.toLocaleString('en')} were created before it refused.`,
    },
  };
}

/**
 * ValidateCsv: streams the object through the CSV engine against the pool's rules, and writes to
 * S3 the validation report, the Cognito-dialect parts with their line map (staging/), and, with
 * the skip policy, the rejected rows. Only keys and counts come back into the state.
 *
 * A file with a `cognito:groups` column also gets its memberships (staging/) and its names
 * checked against the pool's groups. The header is only known while streaming, so the start of
 * the object is read first (`sniffGroupsColumn`), and ListGroups is called only when the header
 * mentions the column: most files never cost the call, nor need the permission. Under
 * `createGroups`, the groups missing are created once the file is known to be imported.
 */
export async function validateCsv(
  run: PreparedRun,
  deps: ValidateDeps,
): Promise<ValidationSummary> {
  const { bucket, key } = run.source;
  const userPoolId = run.userPoolId as string;
  const rules = await readPoolRules(deps.cognito, userPoolId, run.options.passwordHashingAlgorithm);
  const object = await deps.s3.send(
    new GetObjectCommand({
      Bucket: bucket,
      Key: key,
      ...(run.source.versionId ? { VersionId: run.source.versionId } : {}),
      ...(run.source.etag ? { IfMatch: `"${run.source.etag}"` } : {}),
    }),
  );
  const sniffed = await sniffGroupsColumn(object.Body as Readable);
  const create = run.options.createGroups ?? false;
  const known = sniffed.mentions
    ? await listGroupNames(deps.cognito, userPoolId)
    : new Set<string>();
  const mapKey = lineMapKey(run.run);
  const rejectedKey = rejectedRowsKey(run.run);
  const groupsKey = membershipsKey(run.run);
  const partSinks: ReturnType<typeof s3Sink>[] = [];
  const map = s3Sink(deps.s3, bucket, mapKey);
  const rejected =
    run.options.invalidRows === 'skip' ? s3Sink(deps.s3, bucket, rejectedKey) : undefined;
  const report = await runValidator(sniffed.source, rules, {
    invalidRows: run.options.invalidRows,
    limits: { maxFileBytes: deps.config.maxObjectBytes, maxFileRows: 50_000_000 },
    partLimits: deps.config.partLimits,
    parts: (index) => {
      const sink = s3Sink(deps.s3, bucket, partKey(run.run, index));
      partSinks.push(sink);
      return sink;
    },
    map,
    ...(rejected ? { rejected } : {}),
    groups: { known, create },
    memberships: openedOnWrite(() => s3Sink(deps.s3, bucket, groupsKey)),
  });
  const reportKey = validationKey(run.run);
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: reportKey,
      Body: JSON.stringify(report, null, 2),
      ContentType: 'application/json',
    }),
  );
  deps.log?.info('validated', {
    rows: report.rows,
    invalidRows: report.invalidRows,
    warnings: report.warnings,
    parts: report.parts.length,
    ...(report.groups
      ? {
          groupRows: report.groups.rows,
          memberships: report.groups.memberships,
          missingGroups: report.groups.missingCount,
        }
      : {}),
  });
  let rejection = rejectionFor(report);
  let groups: GroupsSummary | undefined;
  if (report.groups) {
    let created: string[] = [];
    if (!rejection && create && report.groups.missingCount > 0) {
      const made = await createMissingGroups(report.groups, userPoolId, deps);
      created = made.created;
      rejection = made.rejection;
    }
    groups = {
      membershipsKey: groupsKey,
      rows: report.groups.rows,
      memberships: report.groups.memberships,
      created: created.slice(0, MAX_LISTED_GROUPS),
      createdCount: created.length,
    };
  }
  return {
    rows: report.rows,
    invalidRows: report.invalidRows,
    warnings: report.warnings,
    reportKey,
    ...(rejected ? { rejectedRowsKey: rejectedKey } : {}),
    parts: rejection
      ? []
      : report.parts.map((part) => ({
          index: part.part,
          bucket,
          key: partKey(run.run, part.part),
          mapKey,
          rows: part.rows,
          bytes: part.bytes,
          ...(part.passwordHashingAlgorithm
            ? { passwordHashingAlgorithm: part.passwordHashingAlgorithm }
            : {}),
          ...(part.groupRows ? { groupRows: part.groupRows } : {}),
        })),
    ...(rejection ? { rejected: rejection } : {}),
    ...(groups ? { groups } : {}),
  };
}
