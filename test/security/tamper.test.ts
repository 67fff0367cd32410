/**
 * Tampering with encrypted files through the built CLI. Small files in every
 * format are encrypted by keyward and by the real sops; then single bytes of
 * each `ENC[…]` value's data/iv/tag, of the MAC and of `lastmodified` are
 * flipped. `keyward decrypt` must fail with the exit code sops gives for the
 * same file, print nothing on stdout and never show the planted canary.
 *
 * KEYWARD_TAMPER_SEED picks the positions (printed at the start);
 * KEYWARD_TAMPER_EXTRA adds that many extra random flips per value.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { keyward, run, tempDir } from '../helpers/proc.js';
import {
  B64_FIELDS,
  CANARY,
  type Encrypted,
  encryptFixture,
  encSpans,
  FIXTURES,
  flipBase64Char,
  flipDecodedByte,
  isMac,
  PRODUCERS,
  pool,
  prng,
  randInt,
  SOPS,
  STACK_LINE,
  splice,
  withKey,
} from './support.js';

const dir = tempDir('keyward-tamper-');
const SEED = Number(process.env.KEYWARD_TAMPER_SEED ?? 0x5eed7a3);
const EXTRA = Number(process.env.KEYWARD_TAMPER_EXTRA ?? 0);
const PARALLEL = 4;
console.info(`tamper: seed ${SEED} (replay with KEYWARD_TAMPER_SEED=${SEED})`);

interface Case {
  name: string;
  bytes: Buffer;
  /** Set when sops must fail on this file; a case where the sops result is only compared leaves it false. */
  mustFail: boolean;
}

const LASTMODIFIED_RE = /lastmodified"?\s*[:=]\s*"?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)/;

function lastModifiedOffset(bytes: Buffer): number {
  const m = LASTMODIFIED_RE.exec(bytes.toString('latin1'));
  if (!m?.[1]) throw new Error('no lastmodified found');
  return m.index + m[0].length - m[1].length;
}

/**
 * Byte flips of every ENC value's data, iv and tag (one random byte each), plus
 * one base64 character flip in a random field of the MAC and of one other value.
 */
function valueCases(file: Encrypted, rnd: () => number): Case[] {
  const cases: Case[] = [];
  const spans = encSpans(file.bytes);
  const charFlipped = new Set([spans.findIndex((s) => isMac(file.bytes, s)), randInt(rnd, spans.length)]);
  spans.forEach((span, n) => {
    const label = isMac(file.bytes, span) ? 'mac' : `value #${n}`;
    const fields = [...B64_FIELDS, ...Array.from({ length: EXTRA }, () => B64_FIELDS[randInt(rnd, 3)] ?? 'data')];
    for (const field of fields) {
      const { out, what } = flipDecodedByte(file.bytes, span, field, randInt(rnd, 1 << 16), randInt(rnd, 255));
      cases.push({ name: `${label} ${what}`, bytes: out, mustFail: true });
    }
    if (!charFlipped.has(n)) return;
    const field = B64_FIELDS[randInt(rnd, 3)] ?? 'tag';
    const flipped = flipBase64Char(file.bytes, span, field, rnd);
    if (flipped) cases.push({ name: `${label} ${field} base64 character changed`, bytes: flipped, mustFail: true });
  });
  return cases;
}

/** Digit changes in `lastmodified` that keep it a valid time (so only the MAC's AAD changes). */
function lastModifiedCases(file: Encrypted, rnd: () => number): Case[] {
  const at = lastModifiedOffset(file.bytes);
  // year digits, minute units, second units: any digit keeps the timestamp valid
  return [randInt(rnd, 2) + 2, randInt(rnd, 2) * 3 + 15].map((pos) => {
    const old = (file.bytes[at + pos] ?? 48) - 48;
    const digit = (old + 1 + randInt(rnd, 9)) % 10;
    return {
      name: `lastmodified char ${pos} ${old} -> ${digit}`,
      bytes: splice(file.bytes, at + pos, at + pos + 1, String(digit)),
      mustFail: true,
    };
  });
}

/** Characters outside the base64 alphabet, and a field whose length is not a multiple of 4. */
function invalidBase64Cases(file: Encrypted): Case[] {
  const spans = encSpans(file.bytes);
  const first = spans.find((s) => !isMac(file.bytes, s));
  const mac = spans.find((s) => isMac(file.bytes, s));
  if (!first || !mac) throw new Error('no ENC values');
  return [
    {
      name: 'value #0 data has "!"',
      bytes: splice(file.bytes, first.fields.data.start, first.fields.data.start + 1, '!'),
      mustFail: true,
    },
    {
      name: 'value #0 iv has "*"',
      bytes: splice(file.bytes, first.fields.iv.start + 3, first.fields.iv.start + 4, '*'),
      mustFail: true,
    },
    {
      name: 'mac tag lost a character',
      bytes: splice(file.bytes, mac.fields.tag.start, mac.fields.tag.start + 1, ''),
      mustFail: true,
    },
  ];
}

/** `lastmodified` values that are not valid RFC 3339 times. */
function badLastModifiedCases(file: Encrypted): Case[] {
  const at = lastModifiedOffset(file.bytes);
  return [
    { name: 'lastmodified month 13', bytes: splice(file.bytes, at + 5, at + 7, '13'), mustFail: true },
    { name: 'lastmodified T -> X', bytes: splice(file.bytes, at + 10, at + 11, 'X'), mustFail: true },
  ];
}

interface Outcome {
  name: string;
  sops: number;
  keyward: number;
  problems: string[];
}

async function check(file: Encrypted, c: Case, index: number): Promise<Outcome> {
  const path = join(dir, `${file.producer}-${file.fixture.format}-${index}.${file.fixture.ext}`);
  writeFileSync(path, c.bytes);
  const [ours, theirs] = await Promise.all([
    keyward(['decrypt', path], withKey),
    run(SOPS, ['decrypt', path], withKey),
  ]);
  const problems: string[] = [];
  if (c.mustFail && theirs.code === 0) problems.push('sops decrypted it (the tampering had no effect: a test bug)');
  if (ours.code !== theirs.code) problems.push(`exit ${ours.code}, sops exits ${theirs.code}`);
  if (ours.code !== 0 && ours.stdoutBytes.length > 0) problems.push(`${ours.stdoutBytes.length} bytes on stdout`);
  if (ours.stdout.includes(CANARY) || ours.stderr.includes(CANARY)) problems.push('canary leaked');
  if (STACK_LINE.test(ours.stderr)) problems.push('stack trace on stderr');
  if (problems.length > 0)
    problems.push(`keyward stderr: ${ours.stderr.trim()} | sops stderr: ${theirs.stderr.trim()}`);
  return { name: c.name, sops: theirs.code, keyward: ours.code, problems };
}

async function runCases(file: Encrypted, cases: readonly Case[]): Promise<Outcome[]> {
  return pool(
    cases.map((c, i) => ({ c, i })),
    PARALLEL,
    ({ c, i }) => check(file, c, i),
  );
}

function failures(outcomes: readonly Outcome[]): string[] {
  return outcomes.filter((o) => o.problems.length > 0).map((o) => `${o.name}: ${o.problems.join('; ')}`);
}

const files = new Map<string, Encrypted>();
const fileFor = (format: string, producer: string): Encrypted => {
  const file = files.get(`${format}/${producer}`);
  if (!file) throw new Error(`no encrypted ${format} file from ${producer}`);
  return file;
};

beforeAll(async () => {
  const made = await pool(
    FIXTURES.flatMap((fixture) => PRODUCERS.map((producer) => ({ fixture, producer }))),
    PARALLEL,
    async ({ fixture, producer }) => {
      const sub = join(dir, `${producer}-${fixture.format}`);
      await run('mkdir', ['-p', sub]);
      return encryptFixture(sub, fixture, producer);
    },
  );
  for (const file of made) files.set(`${file.fixture.format}/${file.producer}`, file);
}, 120_000);

describe.each(FIXTURES.map((f) => f.format))('tampered %s files', (format) => {
  it.each(PRODUCERS)('made by %s: untampered files decrypt to the plaintext', async (producer) => {
    const file = fileFor(format, producer);
    expect(readFileSync(file.path)).toEqual(file.bytes);
    const res = await keyward(['decrypt', file.path], withKey);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdoutBytes.includes(CANARY)).toBe(true);
  });

  it.each(PRODUCERS)(
    'made by %s: a flipped byte in any ENC value, the MAC or lastmodified fails like sops, silently',
    async (producer) => {
      const file = fileFor(format, producer);
      const rnd = prng(SEED ^ (format.length * 7919) ^ (producer === 'sops' ? 0x51 : 0x4b));
      const cases = [...valueCases(file, rnd), ...lastModifiedCases(file, rnd)];
      const spans = encSpans(file.bytes).length;
      expect(spans).toBeGreaterThanOrEqual(2);
      expect(cases.length).toBeGreaterThanOrEqual(spans * 3);
      const outcomes = await runCases(file, cases);
      console.info(
        `tamper ${format}/${producer}: ${cases.length} cases over ${spans} ENC values; sops exit codes ${[...new Set(outcomes.map((o) => o.sops))].join(',')}`,
      );
      expect(failures(outcomes)).toEqual([]);
    },
    180_000,
  );

  it.each(PRODUCERS)(
    'made by %s: invalid base64 fails like sops, silently',
    async (producer) => {
      const file = fileFor(format, producer);
      const outcomes = await runCases(file, invalidBase64Cases(file));
      expect(failures(outcomes)).toEqual([]);
    },
    60_000,
  );

  it('an invalid lastmodified fails like sops, silently', async () => {
    const file = fileFor(format, 'keyward');
    const outcomes = await runCases(file, badLastModifiedCases(file));
    expect(failures(outcomes)).toEqual([]);
  }, 60_000);
});
