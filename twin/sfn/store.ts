import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Database, openDatabase, transaction } from '../sqlite.ts';
import type { HistoryEvent } from './history.ts';
import type { ExecutionStatus } from './interpreter.ts';

/** One execution as the twin keeps it (dates in epoch ms on the twin's clock). */
export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  name: string;
  status: ExecutionStatus;
  /** The input as given to StartExecution: a JSON text. */
  input: string;
  /** The output (JSON text) of a SUCCEEDED execution. */
  output?: string;
  error?: string;
  cause?: string;
  startDate: number;
  stopDate?: number;
  /** Which definition ran it (DescribeStateMachineForExecution). */
  definitionHash: string;
  /** Start order, for newest-first listing and paging. */
  seq: number;
}

/**
 * The Step Functions twin's durable state in one SQLite file under `<dataDir>/sfn/`: state machine
 * creation dates, the definitions executions ran, executions and their histories. The file is
 * locked for the twin's lifetime (read it through the API, not beside it). History events
 * are buffered and written in one transaction per turn of the event loop (a polling workflow
 * writes thousands); reads and the end of an execution flush first, so nothing read is stale.
 */
export class SfnStore {
  private readonly db: Database;
  private readonly statements = new Map<string, ReturnType<Database['prepare']>>();
  private buffer: Array<{ arn: string; event: HistoryEvent }> = [];
  private flushQueued = false;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    // One twin per data folder: two would both run (and on restart both "interrupt") the same
    // executions. The exclusive lock is taken here and held until close; a second twin fails now.
    try {
      this.db = openDatabase(join(dir, 'sfn.sqlite'));
      this.db.exec('PRAGMA locking_mode = EXCLUSIVE; BEGIN IMMEDIATE; COMMIT;');
    } catch (error) {
      if (!/locked|busy/i.test((error as Error).message)) throw error;
      throw Object.assign(
        new Error(`The data folder ${dir} is in use by another local Step Functions twin.`),
        { code: 'EBUSY' },
      );
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS state_machines (name TEXT PRIMARY KEY, created_ms REAL NOT NULL);
      CREATE TABLE IF NOT EXISTS definitions (hash TEXT PRIMARY KEY, definition TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS executions (
        arn TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, sm_name TEXT NOT NULL,
        status TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS executions_by_machine ON executions (sm_name, seq);
      CREATE TABLE IF NOT EXISTS events (
        arn TEXT NOT NULL, id INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (arn, id)) WITHOUT ROWID;
    `);
  }

  private stmt(sql: string): ReturnType<Database['prepare']> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  close(): void {
    this.flush();
    this.db.close();
  }

  /** When the state machine was first registered under this name (kept across restarts). */
  stateMachineCreated(name: string, nowMs: number): number {
    this.stmt('INSERT OR IGNORE INTO state_machines (name, created_ms) VALUES (?, ?)').run(
      name,
      nowMs,
    );
    const row = this.stmt('SELECT created_ms FROM state_machines WHERE name = ?').get(name) as {
      created_ms: number;
    };
    return row.created_ms;
  }

  putDefinition(hash: string, definition: string): void {
    this.stmt('INSERT OR IGNORE INTO definitions (hash, definition) VALUES (?, ?)').run(
      hash,
      definition,
    );
  }

  getDefinition(hash: string): string | undefined {
    const row = this.stmt('SELECT definition FROM definitions WHERE hash = ?').get(hash) as
      | { definition: string }
      | undefined;
    return row?.definition;
  }

  nextSeq(): number {
    const row = this.stmt('SELECT max(seq) AS seq FROM executions').get() as {
      seq: number | null;
    };
    return (row.seq ?? 0) + 1;
  }

  putExecution(record: ExecutionRecord): void {
    this.stmt(
      'INSERT INTO executions (arn, seq, sm_name, status, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (arn) DO UPDATE SET status = excluded.status, doc = excluded.doc',
    ).run(
      record.executionArn,
      record.seq,
      record.stateMachineName,
      record.status,
      JSON.stringify(record),
    );
  }

  /** The end of an execution: its last events and its final record, all or nothing. */
  finishExecution(record: ExecutionRecord): void {
    transaction(this.db, () => {
      this.writeBuffer();
      this.putExecution(record);
    });
  }

  getExecution(arn: string): ExecutionRecord | undefined {
    const row = this.stmt('SELECT doc FROM executions WHERE arn = ?').get(arn) as
      | { doc: string }
      | undefined;
    return row ? (JSON.parse(row.doc) as ExecutionRecord) : undefined;
  }

  /** Executions of one state machine, newest first, started before `beforeSeq`. */
  listExecutions(
    stateMachineName: string,
    status: ExecutionStatus | undefined,
    beforeSeq: number,
    limit: number,
  ): ExecutionRecord[] {
    const rows = (
      status
        ? this.stmt(
            'SELECT doc FROM executions WHERE sm_name = ? AND status = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
          ).all(stateMachineName, status, beforeSeq, limit)
        : this.stmt(
            'SELECT doc FROM executions WHERE sm_name = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
          ).all(stateMachineName, beforeSeq, limit)
    ) as { doc: string }[];
    return rows.map((row) => JSON.parse(row.doc) as ExecutionRecord);
  }

  executionsWithStatus(status: ExecutionStatus): ExecutionRecord[] {
    const rows = this.stmt('SELECT doc FROM executions WHERE status = ? ORDER BY seq').all(
      status,
    ) as { doc: string }[];
    return rows.map((row) => JSON.parse(row.doc) as ExecutionRecord);
  }

  appendEvent(arn: string, event: HistoryEvent): void {
    this.buffer.push({ arn, event });
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      if (this.db.isOpen) this.flush();
    });
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    transaction(this.db, () => this.writeBuffer());
  }

  private writeBuffer(): void {
    const insert = this.stmt('INSERT OR REPLACE INTO events (arn, id, doc) VALUES (?, ?, ?)');
    for (const { arn, event } of this.buffer) insert.run(arn, event.id, JSON.stringify(event));
    this.buffer = [];
  }

  /** A page of events after (or, reversed, before) the given id. */
  events(arn: string, cursor: number, limit: number, reverse: boolean): HistoryEvent[] {
    this.flush();
    const rows = (
      reverse
        ? this.stmt('SELECT doc FROM events WHERE arn = ? AND id < ? ORDER BY id DESC LIMIT ?').all(
            arn,
            cursor,
            limit,
          )
        : this.stmt('SELECT doc FROM events WHERE arn = ? AND id > ? ORDER BY id LIMIT ?').all(
            arn,
            cursor,
            limit,
          )
    ) as { doc: string }[];
    return rows.map((row) => JSON.parse(row.doc) as HistoryEvent);
  }

  lastEventId(arn: string): number {
    this.flush();
    const row = this.stmt('SELECT max(id) AS id FROM events WHERE arn = ?').get(arn) as {
      id: number | null;
    };
    return row.id ?? 0;
  }
}
