import { ColumnOutput } from './header-plan.ts';
import { Bool, booleanAt, NOT_LOWER_CASE } from './predicates.ts';
import { FIELD_QUOTED, FIELD_TRIMMED, type RecordView } from './reader.ts';

/** Field flags of values that the output writes differently from the source. */
export const FIELD_REWRITE = FIELD_QUOTED | FIELD_TRIMMED;

// Module-local copies for the loop below (README, "Speed").
const COMMA = 0x2c;
const REWRITE = FIELD_REWRITE;
const QUOTED = FIELD_QUOTED;
const BOOLEAN_OUTPUT = ColumnOutput.Boolean;
const OMIT = ColumnOutput.Omit;
const TRUE = Bool.True;
const NOT_LOWER = NOT_LOWER_CASE;

/**
 * The header line of every part, with its LF: the names in Cognito's dialect, without the
 * columns whose output is `Omit`.
 */
export function partHeaderLine(names: readonly string[], output?: Uint8Array): Buffer {
  const kept = output ? names.filter((_, col) => output[col] !== OMIT) : names;
  return Buffer.from(`${kept.map((n) => n.replaceAll(',', '\\,')).join(',')}\n`);
}

/**
 * Copies `src[s, e)` to `out[o]` and returns the position after it. Short runs are copied with a
 * plain loop: cheaper than a native call for a few bytes.
 */
export function copyBytes(src: Buffer, s: number, e: number, out: Buffer, o: number): number {
  if (e - s < 48) {
    let p = o;
    for (let i = s; i < e; i++) out[p++] = src[i] as number;
    return p;
  }
  src.copy(out, o, s, e);
  return o + e - s;
}

/**
 * Writes a row in Cognito's dialect at `out[at]`: values as the reader gives them (unquoted,
 * trimmed, commas escaped), booleans in lower case when `lowerCaseBooleans`, the `Omit` columns
 * left out. Runs of values written as they are in the source are copied in one piece, commas
 * included.
 *
 * @param v - the row as read
 * @param output - per column, a {@link ColumnOutput}
 * @param lowerCaseBooleans - whether a boolean of the row needs lower-casing
 * @param out - where the row goes (room for the row is assumed)
 * @param at - where in `out`
 * @returns the position after the row's last byte
 */
export function rewriteRow(
  v: RecordView,
  output: Uint8Array,
  lowerCaseBooleans: boolean,
  out: Buffer,
  at: number,
): number {
  const starts = v.fieldStart;
  const ends = v.fieldEnd;
  const flags = v.fieldFlags;
  const src = v.buf;
  const scratch = v.scratch;
  const count = v.count;
  let o = at;
  let f = 0;
  let first = true;
  while (f < count) {
    if (output[f] === OMIT) {
      f++;
      continue;
    }
    if (!first) out[o++] = COMMA;
    first = false;
    let fieldFlags = flags[f] as number;
    if ((fieldFlags & REWRITE) === 0 && !(lowerCaseBooleans && output[f] === BOOLEAN_OUTPUT)) {
      // A run of values as they are in the source, with the commas between them.
      const s = starts[f] as number;
      let e = ends[f] as number;
      f++;
      while (f < count) {
        fieldFlags = flags[f] as number;
        if (
          (fieldFlags & REWRITE) !== 0 ||
          (lowerCaseBooleans && output[f] === BOOLEAN_OUTPUT) ||
          output[f] === OMIT
        ) {
          break;
        }
        e = ends[f] as number;
        f++;
      }
      o = copyBytes(src, s, e, out, o);
      continue;
    }
    const b = (fieldFlags & QUOTED) !== 0 ? scratch : src;
    const s = starts[f] as number;
    const e = ends[f] as number;
    if (lowerCaseBooleans && output[f] === BOOLEAN_OUTPUT) {
      const read = booleanAt(b, s, e);
      if ((read & NOT_LOWER) !== 0) {
        o += out.write((read ^ NOT_LOWER) === TRUE ? 'true' : 'false', o, 'latin1');
        f++;
        continue;
      }
    }
    f++;
    o = copyBytes(b, s, e, out, o);
  }
  return o;
}
