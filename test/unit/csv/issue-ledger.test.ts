import { describe, expect, it } from 'vitest';
import { messageFor } from '../../../src/csv/codes.ts';
import { IssueLedger } from '../../../src/csv/issue-ledger.ts';

describe('IssueLedger', () => {
  it('keeps an issue with its message, the column labelled from the header', () => {
    const ledger = new IssueLedger(10);
    ledger.labels = ['cognito:username', 'email'];
    expect(ledger.record({ code: 'email.format', line: 3, row: 2, col: 1 })).toBe('error');
    expect(ledger.issues).toEqual([
      {
        line: 3,
        row: 2,
        column: 'email',
        code: 'email.format',
        severity: 'error',
        message: messageFor('email.format', { line: 3, column: 'email' }),
      },
    ]);
  });

  it('labels a position past the header by its number, and leaves out a row-wide column', () => {
    const ledger = new IssueLedger(10);
    ledger.labels = ['cognito:username'];
    ledger.record({ code: 'quote.unescaped', line: 2, row: 1, col: 3 });
    ledger.record({ code: 'encoding.nul', line: 4, row: 3, col: -1 });
    expect(ledger.issues[0]?.column).toBe('#4');
    expect(ledger.issues[1]).not.toHaveProperty('column');
  });

  it('shows a given column name instead of a position, and leaves out the row of a file issue', () => {
    const ledger = new IssueLedger(10);
    ledger.record({
      code: 'required.missing',
      line: 1,
      column: 'name',
      detail: 'column',
      fileLevel: true,
    });
    const [issue] = ledger.issues;
    expect(issue?.column).toBe('name');
    expect(issue).not.toHaveProperty('row');
    expect(issue?.message).toBe(
      messageFor('required.missing', { line: 1, column: 'name', detail: 'column' }),
    );
  });

  it('counts errors, warnings and file errors apart, by code', () => {
    const ledger = new IssueLedger(10);
    ledger.record({ code: 'header.unknown', line: 1, col: 0, fileLevel: true });
    ledger.record({ code: 'email.format', line: 2, row: 1, col: 0 });
    ledger.record({ code: 'email.format', line: 3, row: 2, col: 0 });
    ledger.record({ code: 'username.case-duplicate', line: 4, row: 3, col: 0 });
    // A warning is not a file error even when it is about the file.
    ledger.record({ code: 'header.missing-column', line: 1, column: 'name', fileLevel: true });
    expect(ledger.errors).toBe(3);
    expect(ledger.fileErrors).toBe(1);
    expect(ledger.warnings).toBe(2);
    expect(ledger.counts).toEqual({
      'header.unknown': 1,
      'email.format': 2,
      'username.case-duplicate': 1,
      'header.missing-column': 1,
    });
  });

  it('applies a severity given instead of the code’s own', () => {
    const ledger = new IssueLedger(10);
    const severity = ledger.record({
      code: 'username.duplicate',
      line: 5,
      row: 4,
      col: 0,
      detail: 2,
      severity: 'warning',
    });
    expect(severity).toBe('warning');
    expect(ledger.warnings).toBe(1);
    expect(ledger.errors).toBe(0);
    expect(ledger.issues[0]?.severity).toBe('warning');
  });

  it('keeps the first maxIssues issues and still counts the rest exactly', () => {
    const ledger = new IssueLedger(2);
    for (let row = 1; row <= 5; row++) {
      expect(ledger.record({ code: 'phone.format', line: row + 1, row, col: 0 })).toBe('error');
    }
    expect(ledger.issues.map((i) => i.row)).toEqual([1, 2]);
    expect(ledger.omitted).toBe(3);
    expect(ledger.errors).toBe(5);
    expect(ledger.counts['phone.format']).toBe(5);

    const none = new IssueLedger(0);
    none.record({ code: 'file.empty', line: 0, fileLevel: true });
    expect(none.issues).toEqual([]);
    expect(none.omitted).toBe(1);
    expect(none.fileErrors).toBe(1);
  });
});
