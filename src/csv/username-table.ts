/**
 * A set of usernames in bounded memory: each name is kept as a 64-bit hash (two 32-bit lanes)
 * plus the line it was first seen on, in an open-addressing table of typed arrays. 12 bytes a
 * slot, at most half full: 500,000 names take 2^20 slots = 12 MiB, against 60-250 MB for a
 * `Set<string>` of the same names.
 *
 * Two different names are mistaken for one only if both 32-bit lanes collide. With n names the
 * chance of any such pair is about n² / 2^65: 7e-9 for 500,000 names. The result of that
 * astronomically unlikely event is one false "duplicate username" report, never a lost user.
 */
export class UsernameTable {
  // Slot i is slots[3i] (first lane), slots[3i+1] (second lane), slots[3i+2] (line, 0 = empty):
  // one array, so a probe touches one cache line rather than three.
  private slots: Int32Array;
  private mask: number;
  private used = 0;
  private readonly maxEntries: number;

  /**
   * @param maxEntries - names kept at most; later names are still looked up but not added
   * @param initialCapacity - initial slots (rounded up to a power of two)
   */
  constructor(maxEntries: number, initialCapacity = 4096) {
    this.maxEntries = maxEntries;
    let cap = 16;
    while (cap < initialCapacity) cap *= 2;
    this.slots = new Int32Array(cap * 3);
    this.mask = cap - 1;
  }

  /** Names stored. */
  get size(): number {
    return this.used;
  }

  /** Bytes held by the table. */
  get byteLength(): number {
    return this.slots.byteLength;
  }

  /**
   * Adds a hash, or finds it.
   *
   * @param a - first 32-bit lane of the hash
   * @param b - second 32-bit lane
   * @param line - line number to remember for it (must be ≥ 1)
   * @returns the line the hash was first added on; 0 if it was added now; -1 if it was not
   *   there and the table is full
   */
  add(a: number, b: number, line: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = a & mask;
    for (;;) {
      const k = i * 3;
      const l = slots[k + 2] as number;
      if (l === 0) break;
      if (slots[k] === a && slots[k + 1] === b) return l;
      i = (i + 1) & mask;
    }
    if (this.used >= this.maxEntries) return -1;
    if ((this.used + 1) * 2 > mask + 1) {
      this.grow();
      return this.add(a, b, line);
    }
    const k = i * 3;
    slots[k] = a;
    slots[k + 1] = b;
    slots[k + 2] = line;
    this.used++;
    return 0;
  }

  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    const slots = new Int32Array(cap * 3);
    const mask = cap - 1;
    for (let j = 0; j < old.length; j += 3) {
      const l = old[j + 2] as number;
      if (l === 0) continue;
      const a = old[j] as number;
      let i = a & mask;
      while (slots[i * 3 + 2] !== 0) i = (i + 1) & mask;
      const k = i * 3;
      slots[k] = a;
      slots[k + 1] = old[j + 1] as number;
      slots[k + 2] = l;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/**
 * Bytes a {@link UsernameTable} holding `names` names occupies (it grows to this size).
 *
 * @param names - distinct usernames
 */
export function usernameTableBytes(names: number): number {
  let cap = 4096;
  while (names * 2 > cap) cap *= 2;
  return cap * 12;
}

// Per byte: the byte to hash, plus 0x100 for a space or control character; NON_ASCII (in the
// folding table) for a byte that needs Unicode case folding.
const NON_ASCII = 0x200;
const EXACT = new Uint16Array(256);
const FOLDED = new Uint16Array(256);
for (let c = 0; c < 256; c++) {
  const ws = c <= 0x20 || c === 0x7f ? 0x100 : 0;
  EXACT[c] = c | ws;
  FOLDED[c] = c >= 0x80 ? NON_ASCII : (c >= 0x41 && c <= 0x5a ? c | 0x20 : c) | ws;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/**
 * Hashes a username's bytes (Cognito-dialect form) to two 32-bit lanes, optionally case-folded.
 * Pure ASCII is folded byte by byte; anything else goes through `String.prototype.toLowerCase`
 * and back to UTF-8, which gives the same bytes for ASCII, so both routes agree.
 */
export class UsernameHasher {
  a = 0;
  b = 0;
  /** Whether the last name had a byte ≤ 0x20 or 0x7F (space, tab, control). */
  whitespace = false;
  private scratch = new Uint8Array(1024);

  /**
   * @param buf - bytes holding the name
   * @param start - first byte
   * @param end - byte after the last
   * @param fold - hash the lower-case form
   * @returns false if the name has non-ASCII bytes and `fold` was asked: call {@link hashFolded}
   */
  hash(buf: Uint8Array, start: number, end: number, fold: boolean): boolean {
    const table = fold ? FOLDED : EXACT;
    let h1 = 0x811c9dc5 | 0;
    let h2 = 0x2f3a9c51 | 0;
    let ws = false;
    for (let i = start; i < end; i++) {
      let c = table[buf[i] as number] as number;
      if (c > 0xff) {
        // Flagged bytes: whitespace/controls (hashed as they are) or, when folding, non-ASCII.
        if (c === NON_ASCII) return false;
        ws = true;
        c &= 0xff;
      }
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 + c, 0x9e3779b1);
      h2 ^= h2 >>> 15;
    }
    this.whitespace = ws;
    this.finish(h1, h2, end - start);
    return true;
  }

  /** The case-folded hash of a name with non-ASCII bytes. */
  hashFolded(buf: Uint8Array, start: number, end: number): void {
    const ws = this.whitespaceIn(buf, start, end);
    const lower = decoder.decode(buf.subarray(start, end)).toLowerCase();
    if (this.scratch.length < lower.length * 3) this.scratch = new Uint8Array(lower.length * 3);
    const { written } = encoder.encodeInto(lower, this.scratch);
    this.hash(this.scratch, 0, written, false);
    this.whitespace = ws;
  }

  private whitespaceIn(buf: Uint8Array, start: number, end: number): boolean {
    for (let i = start; i < end; i++) {
      const c = buf[i] as number;
      if (c <= 0x20 || c === 0x7f) return true;
    }
    return false;
  }

  private finish(h1: number, h2: number, len: number): void {
    this.a = fmix(h1 ^ len);
    this.b = fmix(h2 ^ Math.imul(len, 0x85ebca6b));
  }
}

// MurmurHash3's finaliser: spreads the per-byte state over all 32 bits.
function fmix(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x | 0;
}
