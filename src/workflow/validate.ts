import type { Readable } from 'node:stream';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Sink } from '../aws/s3-sink.ts';
import { readPoolRules } from '../cognito/pool-rules.ts';
import type { FunctionConfig } from '../config.ts';
import { validateCsv as runValidator, type ValidationReport } from '../csv/index.ts';
import { lineMapKey, partKey, rejectedRowsKey, validationKey } from './keys.ts';
import type { Log } from './telemetry.ts';
import type { PreparedRun, Rejection, ValidationSummary } from './types.ts';

export interface ValidateDeps {
  s3: S3Client;
  cognito: Pick<CognitoIdentityProviderClient, 'send'>;
  config: Pick<FunctionConfig, 'maxObjectBytes' | 'partLimits'>;
  log?: Log;
}

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
  if (!report.valid)
    return {
      code: 'rows.invalid',
      reason: `${report.invalidRows.toLocaleString('en')} of ${report.rows.toLocaleString('en')} rows are invalid; see the validation report, or run with invalidRows "skip" to import the others.`,
    };
  if (report.acceptedRows === 0)
    return { code: 'rows.none', reason: 'The file has no rows to import.' };
  return undefined;
}

/**
 * ValidateCsv: streams the object through the CSV engine against the pool's rules, and writes to
 * S3 the validation report, the Cognito-dialect parts with their line map (staging/), and, with
 * the skip policy, the rejected rows. Only keys and counts come back into the state.
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
  const mapKey = lineMapKey(run.run);
  const rejectedKey = rejectedRowsKey(run.run);
  const partSinks: ReturnType<typeof s3Sink>[] = [];
  const map = s3Sink(deps.s3, bucket, mapKey);
  const rejected =
    run.options.invalidRows === 'skip' ? s3Sink(deps.s3, bucket, rejectedKey) : undefined;
  const report = await runValidator(object.Body as Readable, rules, {
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
  });
  const rejection = rejectionFor(report);
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
        })),
    ...(rejection ? { rejected: rejection } : {}),
  };
}
