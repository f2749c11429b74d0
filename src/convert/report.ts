import type { PasswordHashingAlgorithm } from '../csv/index.ts';
import type { SourceName } from './types.ts';

/** What a conversion did, in counts and reasons only: no user's data. */
export interface ConvertReport {
  source: SourceName;
  /** User records read from the export. */
  read: number;
  /** Users written to the output. */
  converted: number;
  /** Users who keep their password, by the algorithm of their hash. */
  keepPassword: { total: number; byAlgorithm: Partial<Record<PasswordHashingAlgorithm, number>> };
  /** Users written without a hash (they import RESET_REQUIRED), by reason. */
  mustReset: { total: number; reasons: Record<string, number> };
  /** Users not written, by reason. */
  leftOut: { total: number; reasons: Record<string, number> };
  /** Attribute values not written (the user is), by `attribute: reason`. */
  valuesDropped: { total: number; reasons: Record<string, number> };
  /** Where email verification came from: the export, or `--email-verified`. */
  emailVerified: 'export' | 'true' | 'false';
  /** Auth0: hashes in the password export whose user is not in the user export. */
  unmatchedHashes?: number;
}

const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/** Collects a conversion's counts as it goes. */
export class ReportBuilder {
  readonly report: ConvertReport;

  constructor(source: SourceName, emailVerified: ConvertReport['emailVerified']) {
    this.report = {
      source,
      read: 0,
      converted: 0,
      keepPassword: { total: 0, byAlgorithm: {} },
      mustReset: { total: 0, reasons: {} },
      leftOut: { total: 0, reasons: {} },
      valuesDropped: { total: 0, reasons: {} },
      emailVerified,
    };
  }

  kept(algorithm: PasswordHashingAlgorithm): void {
    const k = this.report.keepPassword;
    k.total++;
    k.byAlgorithm[algorithm] = (k.byAlgorithm[algorithm] ?? 0) + 1;
  }

  mustReset(reason: string): void {
    this.report.mustReset.total++;
    bump(this.report.mustReset.reasons, reason);
  }

  leftOut(reason: string): void {
    this.report.leftOut.total++;
    bump(this.report.leftOut.reasons, reason);
  }

  dropped(attribute: string, reason: string): void {
    this.report.valuesDropped.total++;
    bump(this.report.valuesDropped.reasons, `${attribute}: ${reason}`);
  }
}

const n = (count: number) => count.toLocaleString('en');

function byCount(reasons: Record<string, number>): string[] {
  return Object.entries(reasons)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([reason, count]) => `    ${n(count).padStart(7)}  ${reason}`);
}

/**
 * The report as lines for a person.
 *
 * @param report - the conversion's report
 * @param where - the output file and the list of users left out, as they should be shown
 */
export function formatReport(
  report: ConvertReport,
  where: { out: string; leftOut?: string },
): string[] {
  const lines = [
    `${report.source}: ${n(report.converted)} of ${n(report.read)} users converted to ${where.out}`,
  ];
  const algorithms = Object.entries(report.keepPassword.byAlgorithm)
    .map(([algorithm, count]) => `${algorithm} ${n(count)}`)
    .join(', ');
  lines.push(
    `  keep their password: ${n(report.keepPassword.total)}${algorithms ? ` (${algorithms})` : ''}`,
  );
  lines.push(`  must reset their password: ${n(report.mustReset.total)}`);
  lines.push(...byCount(report.mustReset.reasons));
  if (report.leftOut.total > 0) {
    lines.push(
      `  left out: ${n(report.leftOut.total)}${where.leftOut ? ` (listed in ${where.leftOut})` : ''}`,
    );
    lines.push(...byCount(report.leftOut.reasons));
  }
  if (report.valuesDropped.total > 0) {
    lines.push(`  values left out (the users are converted): ${n(report.valuesDropped.total)}`);
    lines.push(...byCount(report.valuesDropped.reasons));
  }
  if (report.unmatchedHashes)
    lines.push(`  password hashes with no user in the export: ${n(report.unmatchedHashes)}`);
  if (report.emailVerified !== 'export')
    lines.push(`  email_verified: ${report.emailVerified} for every user (--email-verified)`);
  return lines;
}
