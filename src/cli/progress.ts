import type { HistoryEvent } from '../../twin/index.ts';
import type { Io } from './io.ts';

/** What a person wants to see of a running import: where it is, how many rows, how the job goes. */
export interface Progress {
  state: string;
  rows?: number;
  invalidRows?: number;
  job?: {
    status: string;
    imported: number;
    skipped: number;
    failed: number;
    waitingForSlot: boolean;
  };
}

const parse = (text: string | undefined): Record<string, unknown> => {
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

/** Folds one history event into the progress: the state entered, and what finished tasks found. */
export function applyEvent(progress: Progress, event: HistoryEvent): Progress {
  const entered = event.stateEnteredEventDetails?.name;
  // Choices and passes only route: showing them would make the line flicker, not inform.
  if (entered && /^(Choice|Pass)State/.test(event.type)) return progress;
  if (entered) return { ...progress, state: entered };
  const exited = event.stateExitedEventDetails;
  if (!exited) return progress;
  const output = parse(exited.output);
  if (exited.name === 'ValidateCsv') {
    const validation = output.validation as { rows?: number; invalidRows?: number } | undefined;
    return {
      ...progress,
      ...(validation?.rows !== undefined
        ? { rows: validation.rows, invalidRows: validation.invalidRows ?? 0 }
        : {}),
    };
  }
  const job = output.job as
    | {
        status?: string;
        importedUsers?: number;
        skippedUsers?: number;
        failedUsers?: number;
        slotBusy?: boolean;
      }
    | undefined;
  if (
    job?.status &&
    ['CreateImportJob', 'StartImportJob', 'CheckImportJob', 'StopImportJob'].includes(exited.name)
  ) {
    return {
      ...progress,
      job: {
        status: job.status,
        imported: job.importedUsers ?? 0,
        skipped: job.skippedUsers ?? 0,
        failed: job.failedUsers ?? 0,
        waitingForSlot: job.slotBusy === true,
      },
    };
  }
  return progress;
}

export function describeProgress(progress: Progress, elapsedMs: number): string {
  const parts = [`${(elapsedMs / 1000).toFixed(1)}s`, progress.state];
  if (progress.rows !== undefined)
    parts.push(
      `${progress.rows.toLocaleString('en')} rows validated (${(progress.invalidRows ?? 0).toLocaleString('en')} invalid)`,
    );
  const job = progress.job;
  if (job)
    parts.push(
      job.waitingForSlot
        ? "waiting for the account's import slot"
        : `job ${job.status}: ${job.imported.toLocaleString('en')} imported, ${job.skipped.toLocaleString('en')} skipped, ${job.failed.toLocaleString('en')} failed`,
    );
  return parts.join(' | ');
}

/**
 * Shows progress on the error stream: one line rewritten in place on a terminal, or a plain line
 * each time something changes otherwise (logs, CI).
 */
export function progressView(io: Io, started: number, now: () => number = Date.now) {
  let last = '';
  let progress: Progress = { state: 'Starting' };
  let timer: NodeJS.Timeout | undefined;
  const render = () => {
    const line = describeProgress(progress, now() - started);
    if (io.isTty) io.errRaw(`\r\x1b[2K${line}`);
    else {
      const withoutTime = line.slice(line.indexOf('|'));
      if (withoutTime !== last) io.err(line);
      last = withoutTime;
    }
  };
  if (io.isTty) {
    timer = setInterval(render, 200);
    timer.unref();
  }
  return {
    update(event: HistoryEvent) {
      const next = applyEvent(progress, event);
      if (next === progress) return;
      progress = next;
      render();
    },
    done() {
      if (timer) clearInterval(timer);
      if (io.isTty) io.errRaw('\r\x1b[2K');
    },
  };
}
