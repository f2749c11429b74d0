import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * Writes a CSV of `rows` valid users in slices, so that the peak memory a benchmark reports is
 * that of the code under test, not of the generator. `quoted` writes the family name RFC 4180
 * quoted (as spreadsheets do) instead of in Cognito's `\,` dialect; `extra` adds a last column.
 */
export function writeUsersFile(
  file: string,
  rows: number,
  quoted = false,
  extra?: { column: string; value: (row: number) => string },
): void {
  const fd = openSync(file, 'w');
  writeSync(
    fd,
    `cognito:username,email,email_verified,given_name,family_name,phone_number,phone_number_verified${extra ? `,${extra.column}` : ''}\n`,
  );
  for (let from = 0; from < rows; from += 10_000) {
    let slice = '';
    for (let i = from; i < Math.min(rows, from + 10_000); i++) {
      const family = quoted ? `"Family, ${i}"` : `Family\\, ${i}`;
      slice += `user${i},user${i}@example.com,true,Given${i},${family},+1555${String(i).padStart(7, '0')},false${extra ? `,${extra.value(i)}` : ''}\n`;
    }
    writeSync(fd, slice);
  }
  closeSync(fd);
}
