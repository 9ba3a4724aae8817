// A small, fast, seedable PRNG (sfc32, seeded through splitmix32) for the dataset's structure:
// poison picks, text lengths, trace ids. Faker's own generator only writes the text, so a change
// in how faker spends randomness never moves which events are poison or how large they are.

const TWO_POW_32 = 2 ** 32;
const TWO_POW_53 = 2 ** 53;
const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** splitmix32's finaliser: spreads one 32-bit word over all bits. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /**
   * @param seed a non-negative safe integer; both 32-bit halves count, so 1 and 2^32 + 1 differ.
   * @param stream independent streams from one seed, one per purpose.
   * @param substream independent streams within one purpose (one per conversation, say).
   */
  constructor(seed: number, stream = 0, substream = 0) {
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_POW_32) >>> 0;
    let state = mix32(lo ^ mix32(hi ^ mix32(stream ^ mix32(substream >>> 0))));
    const next = () => {
      state = mix32(state);
      return state;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    // sfc32's first outputs are weak right after seeding.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 53 bits of precision. */
  next(): number {
    const high = this.uint32() >>> 5;
    const low = this.uint32() >>> 6;
    return (high * 67108864 + low) / TWO_POW_53;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller; one sample per call keeps the stream position simple). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log(0) is never taken
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** `chars` lowercase hex digits. */
  hex(chars: number): string {
    // A byte table: toString(16) + padStart was the generator's hottest line.
    let out = '';
    while (out.length < chars) {
      const w = this.uint32();
      out += `${HEX_BYTE[w >>> 24]}${HEX_BYTE[(w >>> 16) & 0xff]}${HEX_BYTE[(w >>> 8) & 0xff]}${HEX_BYTE[w & 0xff]}`;
    }
    return out.length === chars ? out : out.slice(0, chars);
  }
}
