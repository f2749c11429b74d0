import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** The additional checksum algorithms of S3's flexible checksums. */
export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export const checksumHeader = (algorithm: ChecksumAlgorithm) =>
  `x-amz-checksum-${algorithm.toLowerCase()}`;

export function toChecksumAlgorithm(value: string | undefined): ChecksumAlgorithm | undefined {
  const upper = value?.trim().toUpperCase();
  return CHECKSUM_ALGORITHMS.find((a) => a === upper);
}

/** A running checksum whose digest is base64 of its big-endian bytes, as S3 headers carry it. */
export interface Checksum {
  update(chunk: Buffer): void;
  digest(): string;
}

function u32(value: number): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out.toString('base64');
}

class Crc32 implements Checksum {
  private value = 0;
  update(chunk: Buffer): void {
    this.value = crc32(chunk, this.value);
  }
  digest(): string {
    return u32(this.value);
  }
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli): node:zlib only has the IEEE polynomial. */
class Crc32c implements Checksum {
  private value = 0xffffffff;
  update(chunk: Buffer): void {
    let c = this.value;
    for (const byte of chunk) c = ((CRC32C_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8)) >>> 0;
    this.value = c;
  }
  digest(): string {
    return u32(this.value ^ 0xffffffff);
  }
}

// CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5), kept as two 32-bit halves so that it
// runs on plain numbers instead of BigInt.
const CRC64_TABLE_HI = new Uint32Array(256);
const CRC64_TABLE_LO = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let lo = i;
  let hi = 0;
  for (let k = 0; k < 8; k++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | (hi << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry) {
      lo = (lo ^ 0xac4bc9b5) >>> 0;
      hi = (hi ^ 0x9a6c9329) >>> 0;
    }
  }
  CRC64_TABLE_HI[i] = hi;
  CRC64_TABLE_LO[i] = lo;
}

class Crc64Nvme implements Checksum {
  private hi = 0xffffffff;
  private lo = 0xffffffff;
  update(chunk: Buffer): void {
    let { hi, lo } = this;
    for (const byte of chunk) {
      const index = (lo ^ byte) & 0xff;
      lo = (((lo >>> 8) | (hi << 24)) ^ (CRC64_TABLE_LO[index] ?? 0)) >>> 0;
      hi = ((hi >>> 8) ^ (CRC64_TABLE_HI[index] ?? 0)) >>> 0;
    }
    this.hi = hi;
    this.lo = lo;
  }
  digest(): string {
    const out = Buffer.alloc(8);
    out.writeUInt32BE((this.hi ^ 0xffffffff) >>> 0, 0);
    out.writeUInt32BE((this.lo ^ 0xffffffff) >>> 0, 4);
    return out.toString('base64');
  }
}

class Sha implements Checksum {
  private readonly hash;
  constructor(algorithm: 'sha1' | 'sha256') {
    this.hash = createHash(algorithm);
  }
  update(chunk: Buffer): void {
    this.hash.update(chunk);
  }
  digest(): string {
    return this.hash.digest('base64');
  }
}

export function createChecksum(algorithm: ChecksumAlgorithm): Checksum {
  switch (algorithm) {
    case 'CRC32':
      return new Crc32();
    case 'CRC32C':
      return new Crc32c();
    case 'CRC64NVME':
      return new Crc64Nvme();
    case 'SHA1':
      return new Sha('sha1');
    case 'SHA256':
      return new Sha('sha256');
  }
}

export function checksumOf(algorithm: ChecksumAlgorithm, data: Buffer): string {
  const checksum = createChecksum(algorithm);
  checksum.update(data);
  return checksum.digest();
}
