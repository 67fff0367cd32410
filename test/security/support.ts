/**
 * Shared pieces of the security tests: plaintext fixtures with a planted canary
 * in every format, making encrypted copies with keyward and with the real sops,
 * locating `ENC[…]` values and their base64 fields, a seeded PRNG, and running
 * the CLI under a hard time limit.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../cli/exit-codes.js';
import type { Format } from '../../src/index.js';
import { keyward, type Ran, REPO, type RunOpts, run } from '../helpers/proc.js';
import { toolPath } from '../rig/paths.js';

export const KEY_FILE = join(REPO, 'examples', 'dev-age-key.txt');
export const RECIPIENT = /# public key: (age1[0-9a-z]+)/.exec(readFileSync(KEY_FILE, 'utf8'))?.[1] ?? '';
/** A secret that must never appear on stdout or stderr of a failed run. */
export const CANARY = 'CANARY-9f2c71e4-correct-horse-battery-staple';
export const SOPS = toolPath('sops');

/** Exit codes keyward documents (cli/exit-codes.ts, README). */
export const DOCUMENTED_EXIT: ReadonlySet<number> = new Set<number>(Object.values(EXIT));

export const withKey: RunOpts = { env: { SOPS_AGE_KEY_FILE: KEY_FILE }, clean: true };

export interface Fixture {
  format: Format;
  ext: string;
  plain: Buffer;
}

/** One small plaintext per format, each holding the canary and a few other values. */
export const FIXTURES: readonly Fixture[] = [
  {
    format: 'yaml',
    ext: 'yaml',
    plain: Buffer.from(
      `db:\n    password: ${CANARY}\nport: 5432\nflags:\n    - alpha\n    - beta\nowner_unencrypted: platform-team\n`,
    ),
  },
  {
    format: 'json',
    ext: 'json',
    plain: Buffer.from(
      `{\n\t"db": {\n\t\t"password": "${CANARY}"\n\t},\n\t"ratio": 0.5,\n\t"flags": [\n\t\t"alpha",\n\t\t"beta"\n\t],\n\t"owner_unencrypted": "platform-team"\n}\n`,
    ),
  },
  {
    format: 'dotenv',
    ext: 'env',
    plain: Buffer.from(`DB_PASSWORD=${CANARY}\nAPI_TOKEN=tok-1234\nowner_unencrypted=platform-team\n`),
  },
  {
    format: 'ini',
    ext: 'ini',
    plain: Buffer.from(`[db]\npassword = ${CANARY}\n\n[app]\nport = 8080\n`),
  },
  {
    format: 'binary',
    ext: 'bin',
    plain: Buffer.from(`head\x00\xff\xfe ${CANARY} tail\n`, 'latin1'),
  },
];

export type Producer = 'keyward' | 'sops';
export const PRODUCERS: readonly Producer[] = ['keyward', 'sops'];

export interface Encrypted {
  fixture: Fixture;
  producer: Producer;
  /** Path of the encrypted file (its extension selects the store). */
  path: string;
  bytes: Buffer;
}

/** Encrypts a fixture with keyward or sops to the dev age key and returns the file. */
export async function encryptFixture(dir: string, fixture: Fixture, producer: Producer): Promise<Encrypted> {
  const plainPath = join(dir, `plain-${producer}.${fixture.ext}`);
  const path = join(dir, `enc-${producer}.${fixture.ext}`);
  writeFileSync(plainPath, fixture.plain);
  const args = ['encrypt', '--age', RECIPIENT, '--output', path, plainPath];
  const res = producer === 'keyward' ? await keyward(args, withKey) : await run(SOPS, args, withKey);
  if (res.code !== 0) throw new Error(`${producer} encrypt ${fixture.format} failed (${res.code}): ${res.stderr}`);
  return { fixture, producer, path, bytes: readFileSync(path) };
}

/** An `ENC[…]` value in a file: byte offsets of the whole value and of its three base64 fields. */
export interface EncSpan {
  start: number;
  end: number;
  fields: Record<B64Field, { start: number; end: number }>;
  type: string;
}

export type B64Field = 'data' | 'iv' | 'tag';
export const B64_FIELDS: readonly B64Field[] = ['data', 'iv', 'tag'];

const ENC_RE = /ENC\[AES256_GCM,data:([A-Za-z0-9+/=]*),iv:([A-Za-z0-9+/=]*),tag:([A-Za-z0-9+/=]*),type:([a-z]+)\]/g;

/** Every `ENC[…]` value of a file (ASCII offsets are byte offsets: the file is ASCII up to these spans). */
export function encSpans(bytes: Buffer): EncSpan[] {
  const text = bytes.toString('latin1');
  const out: EncSpan[] = [];
  for (const m of text.matchAll(ENC_RE)) {
    const [whole, data = '', iv = '', tag = '', type = ''] = m;
    const start = m.index;
    const dataStart = start + 'ENC[AES256_GCM,data:'.length;
    const ivStart = dataStart + data.length + ',iv:'.length;
    const tagStart = ivStart + iv.length + ',tag:'.length;
    out.push({
      start,
      end: start + whole.length,
      type,
      fields: {
        data: { start: dataStart, end: dataStart + data.length },
        iv: { start: ivStart, end: ivStart + iv.length },
        tag: { start: tagStart, end: tagStart + tag.length },
      },
    });
  }
  return out;
}

/** Whether an ENC span is the `mac` metadata entry (the key right before it names it). */
export function isMac(bytes: Buffer, span: EncSpan): boolean {
  return /mac"?\s*[:=]\s*"?$/.test(bytes.toString('latin1', Math.max(0, span.start - 64), span.start));
}

/** Replaces bytes [start, end) of a buffer. */
export function splice(bytes: Buffer, start: number, end: number, insert: Buffer | string): Buffer {
  return Buffer.concat([bytes.subarray(0, start), Buffer.from(insert), bytes.subarray(end)]);
}

/**
 * Flips one byte of the decoded base64 field (XOR with a non-zero mask) and
 * re-encodes it, so the field stays valid base64 but its bytes change.
 */
export function flipDecodedByte(
  bytes: Buffer,
  span: EncSpan,
  field: B64Field,
  index: number,
  mask: number,
): { out: Buffer; what: string } {
  const { start, end } = span.fields[field];
  const decoded = Buffer.from(bytes.subarray(start, end).toString('latin1'), 'base64');
  if (decoded.length === 0) throw new Error(`empty ${field} field`);
  const i = index % decoded.length;
  const m = (mask % 255) + 1;
  decoded[i] = (decoded[i] ?? 0) ^ m;
  return {
    out: splice(bytes, start, end, decoded.toString('base64')),
    what: `${field} byte ${i} ^0x${m.toString(16)}`,
  };
}

const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Replaces one base64 character of a field with another base64 character chosen
 * so that the decoded bytes change (a change in the padding bits would not).
 */
export function flipBase64Char(bytes: Buffer, span: EncSpan, field: B64Field, rnd: () => number): Buffer | undefined {
  const { start, end } = span.fields[field];
  const text = bytes.subarray(start, end).toString('latin1');
  const decoded = Buffer.from(text, 'base64');
  const usable = text.replace(/=+$/, '').length;
  for (let attempt = 0; attempt < 50; attempt++) {
    const pos = Math.floor(rnd() * usable);
    const ch = B64_ALPHABET[Math.floor(rnd() * 64)] ?? 'A';
    if (ch === text[pos]) continue;
    const next = text.slice(0, pos) + ch + text.slice(pos + 1);
    if (!Buffer.from(next, 'base64').equals(decoded)) return splice(bytes, start, end, next);
  }
  return undefined;
}

/** sfc32: a small seeded PRNG giving floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (a + b + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** A random integer in [0, n). */
export function randInt(rnd: () => number, n: number): number {
  return Math.floor(rnd() * n);
}

export type TimedRan = Ran;

/**
 * Runs the built keyward CLI like `keyward()` from the helpers, but kills it
 * (SIGKILL) after `limitMs` so a runaway input cannot hang the suite.
 */
export function keywardWithin(args: readonly string[], limitMs: number, opts: RunOpts = {}): Promise<TimedRan> {
  return keyward(args, { ...opts, timeoutMs: limitMs });
}

/** Runs async jobs with at most `limit` in flight, keeping the input order of results. */
export async function pool<T, R>(items: readonly T[], limit: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await job(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A stack-trace line as Node prints them. */
export const STACK_LINE = /\n\s+at /;

/**
 * Problems with a failed run's stderr: not exactly one `keyward: …` line (a
 * data-key failure may add its per-group report), or a stack trace.
 */
export function stderrProblems(res: Ran): string[] {
  const problems: string[] = [];
  if (STACK_LINE.test(res.stderr)) problems.push('stack trace on stderr');
  const lines = res.stderr.replace(/\n$/, '').split('\n');
  const [first = '', ...rest] = lines;
  if (!first.startsWith('keyward: ')) problems.push(`first stderr line is not "keyward: …": ${JSON.stringify(first)}`);
  const report = /^(group \d+: (ok|failed)| {2}\S.*)$/;
  const extra = res.code === EXIT.couldNotRetrieveKey ? rest.filter((l) => !report.test(l)) : rest;
  if (extra.length > 0) problems.push(`${extra.length} extra stderr line(s): ${JSON.stringify(extra.slice(0, 3))}`);
  return problems;
}
