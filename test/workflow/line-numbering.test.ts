/**
 * Whether Cognito's log line numbers count the header is unconfirmed (docs/cognito-behaviour.md,
 * "CloudWatch Logs"): the twin can number either way (knob lineNumbering) and the pipeline is
 * told which with COGNITO_LINE_NUMBERING. Under both readings, failures.csv must name the right
 * source line and user; a pipeline told the wrong reading names the wrong ones, which is why the
 * setting exists.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  csv,
  HEADER,
  startWorkflowFixture,
  users,
  type WorkflowFixture,
} from '../helpers/workflow.ts';

let f: WorkflowFixture | undefined;
afterEach(async () => {
  await f?.stop();
  f = undefined;
});

async function failuresCsv(twinReading: 'data' | 'file', pipelineReading: 'data' | 'file') {
  f = await startWorkflowFixture({
    cognito: { knobs: { lineNumbering: twinReading }, pace: { pendingMs: 20 } },
    // Spelled out every time: the functions' environment outlives one twin in a process.
    functionEnv: { COGNITO_LINE_NUMBERING: pipelineReading },
  });
  const pool = await f.createPool();
  await f.finish(await f.drop(pool, 'first.csv', csv(HEADER, ...users(2, 1))));
  const { outcome } = await f.finish(
    await f.drop(pool, 'second.csv', csv(HEADER, 'new1,new1@example.com,true', ...users(3))),
  );
  expect(outcome?.totals).toMatchObject({ imported: 2, skipped: 2, failed: 0, updated: 0 });
  return f.readText(outcome?.failures?.reportKey as string);
}

const RIGHT =
  'line,username,outcome,reason\n4,user1,SKIPPED,The user already exists.\n5,user2,SKIPPED,The user already exists.\n';

describe('the line numbers of Cognito logs, read both ways', () => {
  it.each([['data'], ['file']] as const)(
    'maps each skipped row to its source line and user when Cognito numbers %s lines and the pipeline is told so',
    async (reading) => {
      expect(await failuresCsv(reading, reading)).toBe(RIGHT);
    },
  );

  it('blames the wrong rows when the pipeline is told the wrong reading', async () => {
    expect(await failuresCsv('file', 'data')).not.toBe(RIGHT);
  });
});
