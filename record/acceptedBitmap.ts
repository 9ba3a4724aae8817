// accepted.bits: the iterations the target accepted (a 2xx from the gateway, or a PubAck), one bit
// per global index k, for the integrity check. 24 h at 1,000/s is 86.4 M bits, about 11 MB.
// Format (version 1): the ASCII magic "PSACCEPT", a u8 format version, a u16 BE runId length, the
// runId in UTF-8, then the bitmap: bit (k mod 8) of byte (k div 8), least significant bit first.
// The writer grows the bitmap in memory as k grows and writes the bytes changed since the last
// flush in place, so a crash keeps every flushed second and memory never exceeds the bitmap.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

const MAGIC = 'PSACCEPT';
export const ACCEPTED_BITMAP_VERSION = 1;

export class AcceptedBitmapWriter {
  private bits = new Uint8Array(64 * 1024);
  private dirtyFrom = Number.POSITIVE_INFINITY;
  private dirtyTo = -1;
  private fd: number | undefined;
  private readonly headerBytes: number;
  private accepted = 0;

  constructor(path: string, runId: string) {
    const id = Buffer.from(runId, 'utf8');
    const header = Buffer.alloc(MAGIC.length + 3 + id.length);
    header.write(MAGIC, 0, 'ascii');
    header.writeUInt8(ACCEPTED_BITMAP_VERSION, MAGIC.length);
    header.writeUInt16BE(id.length, MAGIC.length + 1);
    id.copy(header, MAGIC.length + 3);
    this.headerBytes = header.length;
    this.fd = openSync(path, 'w');
    writeSync(this.fd, header, 0, header.length, 0);
  }

  /** Distinct accepted indices so far. */
  get count(): number {
    return this.accepted;
  }

  mark(k: number): void {
    if (!Number.isInteger(k) || k < 0)
      throw new RangeError(`accepted index ${k} is not a non-negative integer`);
    const byte = k >>> 3;
    if (byte >= this.bits.length) {
      let size = this.bits.length;
      while (size <= byte) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.bits);
      this.bits = grown;
    }
    const bit = 1 << (k & 7);
    const old = this.bits[byte] as number;
    if ((old & bit) !== 0) return;
    this.bits[byte] = old | bit;
    this.accepted++;
    if (byte < this.dirtyFrom) this.dirtyFrom = byte;
    if (byte > this.dirtyTo) this.dirtyTo = byte;
  }

  /** Writes the bytes changed since the last flush, in place. */
  flush(): void {
    if (this.fd === undefined || this.dirtyTo < 0) return;
    const from = this.dirtyFrom;
    const length = this.dirtyTo - from + 1;
    writeSync(this.fd, this.bits, from, length, this.headerBytes + from);
    this.dirtyFrom = Number.POSITIVE_INFINITY;
    this.dirtyTo = -1;
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }
}

export interface AcceptedBitmap {
  runId: string;
  version: number;
  /** Accepted indices in increasing order. */
  indices(): Generator<number>;
  has(k: number): boolean;
  count: number;
}

export function readAcceptedBitmap(path: string): AcceptedBitmap {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(MAGIC.length + 3);
    if (
      readSync(fd, head, 0, head.length, 0) !== head.length ||
      head.toString('ascii', 0, MAGIC.length) !== MAGIC
    ) {
      throw new Error(`${path}: not an accepted-iterations bitmap (no ${MAGIC} header)`);
    }
    const version = head.readUInt8(MAGIC.length);
    if (version !== ACCEPTED_BITMAP_VERSION)
      throw new Error(`${path}: bitmap format version ${version} is not ${ACCEPTED_BITMAP_VERSION}`);
    const idLength = head.readUInt16BE(MAGIC.length + 1);
    const id = Buffer.alloc(idLength);
    if (readSync(fd, id, 0, idLength, head.length) !== idLength)
      throw new Error(`${path}: header is truncated`);
    const chunks: Buffer[] = [];
    let position = head.length + idLength;
    for (;;) {
      const chunk = Buffer.alloc(1 << 20);
      const n = readSync(fd, chunk, 0, chunk.length, position);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      position += n;
    }
    const bits = Buffer.concat(chunks);
    let count = 0;
    for (const byte of bits) {
      let b = byte;
      while (b !== 0) {
        b &= b - 1;
        count++;
      }
    }
    return {
      runId: id.toString('utf8'),
      version,
      count,
      has: (k) => ((bits[k >>> 3] ?? 0) & (1 << (k & 7))) !== 0,
      *indices() {
        for (let byte = 0; byte < bits.length; byte++) {
          const b = bits[byte] as number;
          if (b === 0) continue;
          for (let bit = 0; bit < 8; bit++) if ((b & (1 << bit)) !== 0) yield byte * 8 + bit;
        }
      },
    };
  } finally {
    closeSync(fd);
  }
}
