/**
 * Fuzzing the core in-process: thousands of mutated copies (byte flips,
 * insertions, deletions, truncations, line duplications and swaps, swapped
 * `ENC[…]` values) of valid encrypted files in every format, made by keyward
 * and by sops, go through `decryptBytes`. Every failure must be a KeywardError
 * that does not carry the canary; nothing may hang; a successful decrypt must
 * give exactly the original plaintext.
 *
 * KEYWARD_FUZZ_SEED fixes the seed (printed at the start and with failures),
 * KEYWARD_FUZZ_CASES the total number of cases (default 10,000).
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { KeywardError } from '../../src/errors.js';
import { decryptBytes, type Node, type Tree } from '../../src/index.js';
import { testContext } from '../helpers/context.js';
import { tempDir } from '../helpers/proc.js';
import {
  B64_FIELDS,
  CANARY,
  type Encrypted,
  encryptFixture,
  encSpans,
  FIXTURES,
  flipDecodedByte,
  KEY_FILE,
  PRODUCERS,
  pool,
  prng,
  randInt,
  splice,
} from './support.js';

const dir = tempDir('keyward-fuzz-');
const SEED = Number(process.env.KEYWARD_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TOTAL = Number(process.env.KEYWARD_FUZZ_CASES ?? 10_000);
const PER_CASE_MS = 5_000;
const PER_FORMAT = Math.ceil(TOTAL / FIXTURES.length);
console.info(`fuzz: seed ${SEED}, ${TOTAL} cases (replay with KEYWARD_FUZZ_SEED=${SEED})`);

type Rnd = () => number;
type Mutation = (bytes: Buffer, rnd: Rnd) => { out: Buffer; what: string };

const INSERTS = [
  '\n',
  ' ',
  ':',
  '=',
  '"',
  "'",
  '#',
  ';',
  '{',
  '}',
  '[',
  ']',
  ',',
  '\\',
  '\t',
  '\0',
  '-',
  'ENC[',
  '&a ',
  '*a',
];

function lines(bytes: Buffer): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 10) {
      out.push({ start, end: Math.min(i + 1, bytes.length) });
      start = i + 1;
    }
  }
  return out.filter((l) => l.end > l.start);
}

const MUTATIONS: readonly [weight: number, name: string, fn: Mutation][] = [
  [
    20,
    'flip',
    (b, r) => {
      const i = randInt(r, b.length);
      const m = 1 + randInt(r, 255);
      const out = Buffer.from(b);
      out[i] = (out[i] ?? 0) ^ m;
      return { out, what: `flip byte ${i} ^0x${m.toString(16)}` };
    },
  ],
  [
    14,
    'flip-in-enc',
    (b, r) => {
      const spans = encSpans(b);
      const span = spans[randInt(r, spans.length)];
      if (!span) return { out: b, what: 'no ENC value to flip' };
      const i = span.start + randInt(r, span.end - span.start);
      const out = Buffer.from(b);
      out[i] = (out[i] ?? 0) ^ (1 << randInt(r, 7));
      return { out, what: `flip bit in ENC text at byte ${i}` };
    },
  ],
  [
    10,
    'flip-decoded',
    (b, r) => {
      const spans = encSpans(b);
      const span = spans[randInt(r, spans.length)];
      if (!span) return { out: b, what: 'no ENC value to flip' };
      const field = B64_FIELDS[randInt(r, 3)] ?? 'data';
      const { out, what } = flipDecodedByte(b, span, field, randInt(r, 1 << 16), randInt(r, 255));
      return { out, what: `ENC at ${span.start}: ${what}` };
    },
  ],
  [
    10,
    'insert',
    (b, r) => {
      const i = randInt(r, b.length + 1);
      const text = r() < 0.5 ? (INSERTS[randInt(r, INSERTS.length)] ?? ' ') : String.fromCharCode(randInt(r, 256));
      return { out: splice(b, i, i, Buffer.from(text, 'latin1')), what: `insert ${JSON.stringify(text)} at ${i}` };
    },
  ],
  [
    10,
    'delete',
    (b, r) => {
      const i = randInt(r, b.length);
      const n = 1 + randInt(r, r() < 0.8 ? 4 : 64);
      return { out: splice(b, i, i + n, ''), what: `delete ${n} bytes at ${i}` };
    },
  ],
  [
    5,
    'truncate',
    (b, r) => {
      const n = randInt(r, b.length);
      return { out: b.subarray(0, n), what: `truncate to ${n} bytes` };
    },
  ],
  [
    8,
    'dup-line',
    (b, r) => {
      const all = lines(b);
      const line = all[randInt(r, all.length)];
      if (!line) return { out: b, what: 'no line' };
      const copy = b.subarray(line.start, line.end);
      return { out: splice(b, line.end, line.end, copy), what: `duplicate line at ${line.start}` };
    },
  ],
  [
    4,
    'drop-line',
    (b, r) => {
      const all = lines(b);
      const line = all[randInt(r, all.length)];
      if (!line) return { out: b, what: 'no line' };
      return { out: splice(b, line.start, line.end, ''), what: `drop line at ${line.start}` };
    },
  ],
  [
    5,
    'swap-lines',
    (b, r) => {
      const all = lines(b);
      const x = all[randInt(r, all.length)];
      const y = all[randInt(r, all.length)];
      if (!x || !y || x.start === y.start) return { out: b, what: 'no lines to swap' };
      const [first, second] = x.start < y.start ? [x, y] : [y, x];
      const out = Buffer.concat([
        b.subarray(0, first.start),
        b.subarray(second.start, second.end),
        b.subarray(first.end, second.start),
        b.subarray(first.start, first.end),
        b.subarray(second.end),
      ]);
      return { out, what: `swap lines at ${first.start} and ${second.start}` };
    },
  ],
  [
    12,
    'swap-enc',
    (b, r) => {
      const spans = encSpans(b);
      const x = spans[randInt(r, spans.length)];
      const y = spans[randInt(r, spans.length)];
      if (!x || !y || x.start === y.start) return { out: b, what: 'no ENC values to swap' };
      const [first, second] = x.start < y.start ? [x, y] : [y, x];
      const out = Buffer.concat([
        b.subarray(0, first.start),
        b.subarray(second.start, second.end),
        b.subarray(first.end, second.start),
        b.subarray(first.start, first.end),
        b.subarray(second.end),
      ]);
      return { out, what: `swap ENC values at ${first.start} and ${second.start}` };
    },
  ],
  [
    2,
    'copy-enc',
    (b, r) => {
      const spans = encSpans(b);
      const from = spans[randInt(r, spans.length)];
      const to = spans[randInt(r, spans.length)];
      if (!from || !to || from.start === to.start) return { out: b, what: 'no ENC values to copy' };
      return {
        out: splice(b, to.start, to.end, b.subarray(from.start, from.end)),
        what: `copy ENC value at ${from.start} over ${to.start}`,
      };
    },
  ],
];

const TOTAL_WEIGHT = MUTATIONS.reduce((sum, [w]) => sum + w, 0);

function pickMutation(r: Rnd): Mutation {
  let x = r() * TOTAL_WEIGHT;
  for (const [w, , fn] of MUTATIONS) {
    x -= w;
    if (x < 0) return fn;
  }
  return (MUTATIONS[0] as (typeof MUTATIONS)[number])[2];
}

/** One to four stacked mutations; most cases get exactly one. */
function mutate(bytes: Buffer, r: Rnd): { out: Buffer; steps: string[] } {
  const count = r() < 0.75 ? 1 : 2 + randInt(r, 3);
  let out = bytes;
  const steps: string[] = [];
  for (let i = 0; i < count; i++) {
    const step = pickMutation(r)(out, r);
    out = step.out;
    steps.push(step.what);
  }
  return { out, steps };
}

/**
 * The MAC-protected content of a decrypted tree: every non-null leaf in
 * document order with its type and its AAD-style path (keys joined by `:`).
 * Keys are not in the MAC, and values under an `_unencrypted` key have no AAD,
 * so their path is not protected (sops lets such a key be renamed): only their
 * type and value count.
 */
function leaves(tree: Tree): string[] {
  const out: string[] = [];
  const walk = (node: Node, path: string, plain: boolean): void => {
    const where = plain ? '<unencrypted>' : path;
    switch (node.t) {
      case 'map':
        for (const item of node.items) {
          if ('t' in item) continue;
          walk(item.value, `${path}${item.key}:`, plain || item.key.endsWith('_unencrypted'));
        }
        return;
      case 'seq':
        for (const item of node.items) walk(item, path, plain);
        return;
      case 'comment':
      case 'null':
        return;
      case 'bytes':
        out.push(`${where} bytes ${Buffer.from(node.v).toString('hex')}`);
        return;
      default:
        out.push(`${where} ${node.t} ${String(node.v)}`);
    }
  };
  tree.documents.forEach((doc, i) => {
    walk(doc, `${i}/`, false);
  });
  return out;
}

interface Source {
  file: Encrypted;
  baseline: Buffer;
  leaves: string[];
}

interface Failure {
  index: number;
  source: string;
  steps: string[];
  problem: string;
  input: Buffer;
}

const timeout = (ms: number) =>
  new Promise<'timeout'>((resolve) => {
    const t = setTimeout(() => resolve('timeout'), ms);
    t.unref();
  });

/** Runs one case; returns a problem description, or undefined when keyward behaved. */
async function runCase(source: Source, input: Buffer, tally: Map<string, number>): Promise<string | undefined> {
  const ctx = testContext({ SOPS_AGE_KEY_FILE: KEY_FILE });
  const started = performance.now();
  let outcome: { ok: true; output: Uint8Array; leaves: string[] } | { ok: false; err: unknown } | 'timeout';
  try {
    outcome = await Promise.race([
      decryptBytes(input, { inputFormat: source.file.fixture.format }, ctx).then((r) => ({
        ok: true as const,
        output: r.output,
        leaves: leaves(r.tree),
      })),
      timeout(PER_CASE_MS),
    ]);
  } catch (err) {
    outcome = { ok: false, err };
  }
  const ms = performance.now() - started;
  const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);
  if (outcome === 'timeout') return `no answer within ${PER_CASE_MS} ms`;
  if (ms > PER_CASE_MS) return `took ${Math.round(ms)} ms (limit ${PER_CASE_MS} ms)`;
  if (ctx.logged.some((l) => l.includes(CANARY))) return 'canary in the log';
  if (outcome.ok) {
    if (Buffer.from(outcome.output).equals(source.baseline)) {
      count('decrypted unchanged');
      return undefined;
    }
    // an empty section, map or list, or the name of an _unencrypted key, is not MAC-protected
    if (JSON.stringify(outcome.leaves) === JSON.stringify(source.leaves)) {
      count('decrypted, same values, other layout');
      return undefined;
    }
    return `decrypted to different values (${outcome.output.length} bytes, original ${source.baseline.length})`;
  }
  const { err } = outcome;
  if (!(err instanceof KeywardError)) {
    const name = err instanceof Error ? err.constructor.name : typeof err;
    return `threw ${name}, not a KeywardError: ${err instanceof Error ? err.message.slice(0, 300) : String(err)}`;
  }
  count(err.code);
  if (err.message.includes(CANARY)) return `${err.code} error message carries the canary`;
  return undefined;
}

const sources = new Map<string, Source[]>();

beforeAll(async () => {
  const made = await pool(
    FIXTURES.flatMap((fixture) => PRODUCERS.map((producer) => ({ fixture, producer }))),
    3,
    ({ fixture, producer }) => encryptFixture(dir, fixture, producer),
  );
  for (const file of made) {
    const ctx = testContext({ SOPS_AGE_KEY_FILE: KEY_FILE });
    const { output, tree } = await decryptBytes(file.bytes, { inputFormat: file.fixture.format }, ctx);
    const list = sources.get(file.fixture.format) ?? [];
    list.push({ file, baseline: Buffer.from(output), leaves: leaves(tree) });
    sources.set(file.fixture.format, list);
  }
}, 120_000);

describe.each(FIXTURES.map((f, i) => [f.format, i] as const))(
  'fuzzing decryptBytes with mutated %s files',
  (format, slot) => {
    it(`${PER_FORMAT} mutated files fail with a KeywardError or decrypt unchanged`, async () => {
      const list = sources.get(format) ?? [];
      expect(list.length).toBe(PRODUCERS.length);
      for (const s of list) expect(s.baseline.includes(CANARY)).toBe(true);
      const tally = new Map<string, number>();
      const failures: Failure[] = [];
      const started = performance.now();
      for (let n = 0; n < PER_FORMAT; n++) {
        const index = slot * PER_FORMAT + n;
        const source = list[n % list.length];
        if (!source) throw new Error('no source');
        const r = prng((SEED ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
        const { out, steps } = mutate(source.file.bytes, r);
        const problem = await runCase(source, out, tally);
        if (problem) {
          failures.push({ index, source: `${format} made by ${source.file.producer}`, steps, problem, input: out });
        }
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const counts = [...tally.entries()].map(([k, v]) => `${k} ${v}`).join(', ');
      console.info(`fuzz ${format}: ${PER_FORMAT} cases in ${seconds} s: ${counts}`);
      const report = failures
        .slice(0, 5)
        .map(
          (f) =>
            `case ${f.index} (seed ${SEED}, ${f.source}): ${f.problem}\n  mutations: ${f.steps.join('; ')}\n  input (base64): ${f.input.toString('base64')}`,
        );
      expect(failures.length, `${failures.length} failing cases; first ones:\n${report.join('\n')}`).toBe(0);
    }, 600_000);
  },
);
