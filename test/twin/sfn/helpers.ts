import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SFNClient } from '@aws-sdk/client-sfn';
import {
  type HistoryEvent,
  type SfnTwin,
  type SfnTwinOptions,
  startSfnTwin,
} from '../../../twin/sfn/index.ts';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const fn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

export interface SfnFixture {
  twin: SfnTwin;
  dataDir: string;
  sfn: SFNClient;
  /** Closes the twin and starts it again on the same data folder. */
  restart(options?: Partial<SfnTwinOptions>): Promise<void>;
  stop(): Promise<void>;
}

/** A twin on a fresh data folder, with an SDK client that does not retry (errors stay visible). */
export async function startSfnFixture(
  options: Omit<SfnTwinOptions, 'dataDir'>,
): Promise<SfnFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sfn-twin-'));
  const clientFor = (endpoint: string) =>
    new SFNClient({
      endpoint,
      region: REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  let twin: SfnTwin;
  try {
    twin = await startSfnTwin({ dataDir, ...options });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const fixture: SfnFixture = {
    dataDir,
    twin,
    sfn: clientFor(twin.endpoint),
    restart: async (more = {}) => {
      await fixture.twin.close();
      fixture.twin = await startSfnTwin({ dataDir, ...options, ...more });
      fixture.sfn = clientFor(fixture.twin.endpoint);
    },
    stop: async () => {
      await fixture.twin.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** A custom error class, as a Lambda would throw it: ASL matches its `name`. */
export class JobNotReady extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobNotReady';
  }
}

export const types = (events: HistoryEvent[]) => events.map((event) => event.type);

/** How long an ended execution took on the twin's clock, in ms. */
export const elapsed = (execution: { startDate: number; stopDate?: number }) =>
  (execution.stopDate ?? Number.NaN) - execution.startDate;

/** Polls `check` until it returns true (for states the in-process API cannot await). */
export async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
