/**
 * Seeded randomness for the property-based interop generator: the mulberry32
 * PRNG, the per-document seed, and random text drawn from many scripts (RTL,
 * CJK, astral emoji, combining marks) with optional punctuation and control
 * characters.
 */

/** mulberry32: small, fast and good enough to drive test-case generation. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** 0 ≤ n < max. */
  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  /** lo ≤ n ≤ hi. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** A uniformly random signed 64-bit integer. */
  int64(): bigint {
    const hi = BigInt(this.int(2 ** 32));
    const lo = BigInt(this.int(2 ** 32));
    return BigInt.asIntN(64, (hi << 32n) | lo);
  }
}

/** The seed of one document, so any single case can be regenerated from the run seed. */
export function docSeed(seed: number, format: number, index: number): number {
  let h =
    Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(format + 1, 0xc2b2ae35) ^ Math.imul(index + 7, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

// ---------------------------------------------------------------------------
// Text

const RANGES: readonly (readonly [number, number])[] = [
  [0x61, 0x7a],
  [0x41, 0x5a],
  [0x30, 0x39],
  [0xc0, 0x17f], // Latin-1 supplement and Latin Extended-A
  [0x391, 0x3c9], // Greek
  [0x410, 0x44f], // Cyrillic
  [0x5d0, 0x5ea], // Hebrew (RTL)
  [0x627, 0x64a], // Arabic (RTL)
  [0x4e00, 0x9fff], // CJK
  [0xac00, 0xd7a3], // Hangul
  [0x1f300, 0x1f64f], // emoji (astral)
  [0x1f900, 0x1f9ff], // emoji (astral)
  [0x1d400, 0x1d7ff], // mathematical alphanumerics (astral)
  [0x20000, 0x2a6df], // CJK extension B (astral)
];
const PUNCT = ' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const EXTRAS = ['\u00a0', '\u200d', '\u0301', '\u00e9', 'e\u0301', '\u{1f469}\u200d\u{1f4bb}', '\u{1f1fa}\u{1f1f8}'];

export interface TextOpts {
  max: number;
  newline?: boolean;
  tab?: boolean;
  cr?: boolean;
  punct?: string;
}

export function randText(rng: Rng, opts: TextOpts): string {
  const len = rng.chance(0.15) ? rng.range(0, 3) : rng.range(1, opts.max);
  const punct = opts.punct ?? PUNCT;
  let s = '';
  for (let n = 0; n < len; n++) {
    const r = rng.next();
    if (r < 0.45) {
      const [lo, hi] = rng.pick(RANGES.slice(0, 3));
      s += String.fromCodePoint(rng.range(lo, hi));
    } else if (r < 0.6 && punct.length > 0) {
      s += punct.charAt(rng.int(punct.length));
    } else if (r < 0.9) {
      const [lo, hi] = rng.pick(RANGES);
      s += String.fromCodePoint(rng.range(lo, hi));
    } else if (r < 0.94) {
      s += rng.pick(EXTRAS);
    } else if (r < 0.97 && opts.newline) {
      s += '\n';
    } else if (r < 0.99 && opts.tab) {
      s += '\t';
    } else if (opts.cr) {
      s += '\r';
    } else {
      s += ' ';
    }
  }
  return s;
}
