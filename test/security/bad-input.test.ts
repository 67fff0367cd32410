/**
 * Bad input through the built CLI: truncated and broken files, a missing `sops`
 * block, the wrong key, non-string YAML keys, alias bombs, huge values, deep
 * nesting, empty files, garbage bytes, a directory and a missing file. Every
 * failure must be one `keyward: …` line on stderr with a documented exit code,
 * no stack trace, nothing on stdout, no canary, and no file at `--output`.
 * Where keyward's exit code differs from the real sops's, the difference is
 * printed (not asserted: sops's parse-failure codes vary by command).
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { keyward, type RunOpts, run, tempDir } from '../helpers/proc.js';
import {
  CANARY,
  DOCUMENTED_EXIT,
  type Encrypted,
  encryptFixture,
  FIXTURES,
  type Fixture,
  KEY_FILE,
  keywardWithin,
  pool,
  prng,
  RECIPIENT,
  SOPS,
  stderrProblems,
  type TimedRan,
  withKey,
} from './support.js';

const dir = tempDir('keyward-bad-');
const PARALLEL = 4;
let seq = 0;

interface BadCase {
  name: string;
  /** CLI arguments; `target` is the `--output` path that must not exist after a failure. */
  args: (target: string) => string[];
  opts?: RunOpts;
  /** Exact exit code required, when there is one. */
  code?: number;
  /** Called on success; returns problems. Without it, success is itself a problem. */
  onSuccess?: (target: string, res: TimedRan) => string[];
  /** Hard kill after this long (default 30 s). */
  killMs?: number;
  /** The run must finish within this long. */
  maxMs?: number;
  /** The `--output` path (default: a fresh one). */
  target?: string;
  /** Also run the real sops on the same arguments and report a different exit code. */
  compareSops?: boolean;
}

interface Result {
  name: string;
  code: number;
  ms: number;
  problems: string[];
}

const divergences: string[] = [];

async function runBad(c: BadCase): Promise<Result> {
  const target = c.target ?? join(dir, `out-${seq++}`);
  const opts = c.opts ?? withKey;
  const res = await keywardWithin(c.args(target), c.killMs ?? 30_000, opts);
  const problems: string[] = [];
  if (res.timedOut) problems.push(`killed after ${Math.round(res.ms)} ms (hang or runaway work)`);
  else if (res.code === 0) {
    if (c.onSuccess) problems.push(...c.onSuccess(target, res));
    else problems.push('succeeded, but must fail');
  } else {
    if (!DOCUMENTED_EXIT.has(res.code)) problems.push(`undocumented exit code ${res.code}`);
    if (c.code !== undefined && res.code !== c.code) problems.push(`exit ${res.code}, want ${c.code}`);
    problems.push(...stderrProblems(res));
    if (res.stdoutBytes.length > 0) problems.push(`${res.stdoutBytes.length} bytes on stdout`);
    if (existsSync(target)) problems.push('--output file was written');
  }
  if (res.stdout.includes(CANARY) && res.code !== 0) problems.push('canary on stdout');
  if (res.stderr.includes(CANARY)) problems.push('canary on stderr');
  if (c.maxMs !== undefined && res.ms > c.maxMs) problems.push(`took ${Math.round(res.ms)} ms (limit ${c.maxMs} ms)`);
  if (c.compareSops && !res.timedOut) {
    const theirs = await run(SOPS, c.args(`${target}.sops`), opts);
    const why = theirs.stderr.split('\n')[0]?.slice(0, 100);
    if (theirs.code !== res.code) divergences.push(`${c.name}: keyward ${res.code}, sops ${theirs.code} (${why})`);
    // accepting what sops refuses would write a file that sops cannot read, or lose data
    if (res.code === 0 && theirs.code !== 0)
      problems.push(`keyward accepted it; sops refuses (${theirs.code}: ${why})`);
  }
  if (problems.length > 0) problems.push(`stderr: ${res.stderr.slice(0, 400).trim()}`);
  return { name: c.name, code: res.code, ms: res.ms, problems };
}

async function expectClean(cases: readonly BadCase[]): Promise<Result[]> {
  const results = await pool(cases, PARALLEL, runBad);
  const bad = results
    .filter((r) => r.problems.length > 0)
    .map((r) => `${r.name} (exit ${r.code}): ${r.problems.join('; ')}`);
  expect(bad).toEqual([]);
  return results;
}

const decryptArgs =
  (path: string, extra: readonly string[] = []) =>
  (target: string) => ['decrypt', ...extra, '--output', target, path];
const encryptArgs =
  (path: string, extra: readonly string[] = []) =>
  (target: string) => ['encrypt', '--age', RECIPIENT, ...extra, '--output', target, path];

/** Writes a file into the temp folder and returns its path. */
function put(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** On success the --output file must hold exactly `expected`. */
const mustEqual =
  (expected: Buffer) =>
  (target: string): string[] =>
    existsSync(target) && readFileSync(target).equals(expected) ? [] : ['succeeded with different output'];

const files = new Map<string, Encrypted>();
const enc = (fixture: Fixture): Encrypted => {
  const file = files.get(fixture.format);
  if (!file) throw new Error(`no encrypted ${fixture.format} file`);
  return file;
};
const yamlFixture = FIXTURES.find((f) => f.format === 'yaml') ?? (FIXTURES[0] as Fixture);

/** The `sops:` block of a keyward-made YAML file (to append to hostile YAML). */
const yamlSopsBlock = (): string => {
  const text = enc(yamlFixture).bytes.toString();
  return text.slice(text.indexOf('\nsops:') + 1);
};

let otherKey = '';

beforeAll(async () => {
  const made = await pool(FIXTURES, PARALLEL, async (fixture) => {
    const sub = join(dir, `src-${fixture.format}`);
    mkdirSync(sub);
    return encryptFixture(sub, fixture, 'keyward');
  });
  for (const file of made) files.set(file.fixture.format, file);
  otherKey = join(dir, 'other-key.txt');
  const gen = await keyward(['keygen', '--output', otherKey]);
  if (gen.code !== 0) throw new Error(`keygen failed: ${gen.stderr}`);
}, 60_000);

describe('bad input to keyward decrypt/encrypt', () => {
  it('truncated encrypted files fail cleanly (or, cut in trailing whitespace, decrypt unchanged)', async () => {
    const rnd = prng(0x7e1c);
    const cases = FIXTURES.flatMap((fixture) => {
      const file = enc(fixture);
      const len = file.bytes.length;
      const cuts = new Set<number>([1, Math.floor(len / 2), len - 2]);
      while (cuts.size < 9) cuts.add(1 + Math.floor(rnd() * (len - 2)));
      return [...cuts].map((cut): BadCase => {
        const path = put(`trunc-${cut}.${fixture.ext}`, file.bytes.subarray(0, cut));
        return {
          name: `${fixture.format} cut at ${cut}/${len}`,
          args: decryptArgs(path),
          onSuccess: mustEqual(fixture.plain),
          compareSops: true,
        };
      });
    });
    const results = await expectClean(cases);
    expect(results.length).toBeGreaterThanOrEqual(40);
  }, 300_000);

  it('broken YAML and JSON fail cleanly with exit 2 or another documented code', async () => {
    const yaml = [
      'a: [1, 2\n',
      'a: b: c\n',
      'a:\n\t- tab\n',
      'a: "unterminated\n',
      '- a\n- list\n',
      'just a scalar\n',
      '{a: 1}}\n',
      'a: 1\na: 2\n',
      '%YAML 9.9\n---\na: 1\n',
      'a: !!binary "%%%"\n',
      'a: *nowhere\n',
      '---\na: 1\n---\n- x\n',
    ];
    const json = [
      '{"a": }',
      '{"a": 1,}',
      '{"a": "x',
      '[1, 2]',
      '"str"',
      '{"a": 1} trailing',
      '{a: 1}',
      '{"a": "\\uZZZZ"}',
      '{"a": 1e999999}',
      '{"a": [1, 2}',
      '\u0000{"a": 1}',
    ];
    const cases: BadCase[] = [];
    yaml.forEach((text, i) => {
      const plain = put(`broken-${i}.yaml`, text);
      const withSops = put(`broken-sops-${i}.yaml`, text + yamlSopsBlock());
      cases.push(
        { name: `yaml ${JSON.stringify(text)} decrypt`, args: decryptArgs(plain), compareSops: true },
        { name: `yaml ${JSON.stringify(text)} + sops block decrypt`, args: decryptArgs(withSops), compareSops: true },
        {
          name: `yaml ${JSON.stringify(text)} encrypt`,
          args: encryptArgs(plain),
          compareSops: true,
          // a few of these are valid YAML that sops also encrypts
          onSuccess: () => [],
        },
      );
    });
    json.forEach((text, i) => {
      const plain = put(`broken-${i}.json`, text);
      cases.push(
        { name: `json ${JSON.stringify(text)} decrypt`, args: decryptArgs(plain), compareSops: true },
        { name: `json ${JSON.stringify(text)} encrypt`, args: encryptArgs(plain), compareSops: true },
      );
    });
    await expectClean(cases);
  }, 300_000);

  it('a file without its sops block fails with exit 1 like sops', async () => {
    const strip: Record<string, (text: string) => string> = {
      yaml: (t) => t.slice(0, t.indexOf('\nsops:') + 1),
      json: (t) => `${JSON.stringify({ ...JSON.parse(t), sops: undefined })}\n`,
      binary: (t) => `${JSON.stringify({ ...JSON.parse(t), sops: undefined })}\n`,
      dotenv: (t) =>
        t
          .split('\n')
          .filter((l) => !l.startsWith('sops_'))
          .join('\n'),
      ini: (t) => t.slice(0, t.indexOf('[sops]')),
    };
    const cases = FIXTURES.map((fixture): BadCase => {
      const text = enc(fixture).bytes.toString('latin1');
      const stripper = strip[fixture.format];
      if (!stripper) throw new Error(fixture.format);
      const stripped = stripper(text);
      expect(stripped).toContain('ENC[');
      expect(stripped).not.toContain('lastmodified');
      const path = put(`nosops.${fixture.ext}`, Buffer.from(stripped, 'latin1'));
      return { name: `${fixture.format} without sops block`, args: decryptArgs(path), code: 1, compareSops: true };
    });
    await expectClean(cases);
  }, 120_000);

  it('the wrong age key fails with exit 128, naming no secret', async () => {
    const cases = FIXTURES.map(
      (fixture): BadCase => ({
        name: `${fixture.format} with another key`,
        args: decryptArgs(enc(fixture).path),
        opts: { env: { SOPS_AGE_KEY_FILE: otherKey }, clean: true },
        code: 128,
        compareSops: true,
      }),
    );
    expect(readFileSync(otherKey, 'utf8')).not.toEqual(readFileSync(KEY_FILE, 'utf8'));
    await expectClean(cases);
  }, 120_000);

  it('non-string YAML keys are refused on encrypt and decrypt', async () => {
    const keys = ['1', 'true', 'null', '1.5', '2024-01-01', '[a, b]'];
    const encrypted = enc(yamlFixture).bytes.toString();
    const cases = keys.flatMap((key, i): BadCase[] => {
      const plain = put(`key-${i}.yaml`, `${key}: x\nok: y\n`);
      const nested = put(`key-nested-${i}.yaml`, `outer:\n    ${key}: x\n`);
      const renamed = put(`key-enc-${i}.yaml`, encrypted.replace(/^port:/m, `${key}:`));
      return [
        { name: `encrypt "${key}: x"`, args: encryptArgs(plain), compareSops: true },
        { name: `encrypt "outer: {${key}: x}"`, args: encryptArgs(nested), compareSops: true },
        { name: `decrypt with "${key}:" as a key`, args: decryptArgs(renamed), compareSops: true },
      ];
    });
    await expectClean(cases);
  }, 300_000);

  it('YAML alias bombs fail within 2 s, and ordinary aliases still work', async () => {
    // 2 s on a quiet machine; on a loaded one (parallel test workers), allow four times a trivial failure
    const trivial = await keywardWithin(['decrypt', join(dir, 'no-such-file.yaml')], 30_000, withKey);
    const limit = Math.max(2_000, Math.round(4 * trivial.ms));
    const laughs = (open: string, close: string, item: (ref: string) => string) => {
      const names = 'abcdefghi'.split('');
      return names
        .map((name, i) => {
          const ref = i === 0 ? '"lol"' : `*${names[i - 1]}`;
          return `${name}: &${name} ${open}${Array.from({ length: 9 }, (_, k) => item(ref).replace('#', String(k))).join(', ')}${close}\n`;
        })
        .join('');
    };
    const bombs: Record<string, string> = {
      'billion laughs (lists)': laughs('[', ']', (ref) => ref),
      'billion laughs (maps)': laughs('{', '}', (ref) => `k#: ${ref}`),
      'billion laughs (block style)': [
        'a: &a\n    - lol\n    - lol\n    - lol\n    - lol\n    - lol\n    - lol\n    - lol\n    - lol\n    - lol\n',
        ...'bcdefghij'.split('').map((n, i) => {
          const prev = 'abcdefghij'[i];
          return `${n}: &${n}\n${Array.from({ length: 9 }, () => `    - *${prev}\n`).join('')}`;
        }),
      ].join(''),
    };
    const cases = Object.entries(bombs).flatMap(([name, text], i): BadCase[] => {
      const plain = put(`bomb-${i}.yaml`, text);
      const withSops = put(`bomb-sops-${i}.yaml`, text + yamlSopsBlock());
      return [
        { name: `encrypt ${name}`, args: encryptArgs(plain), killMs: 10_000, maxMs: limit, compareSops: true },
        { name: `decrypt ${name}`, args: decryptArgs(withSops), killMs: 10_000, maxMs: limit, compareSops: true },
      ];
    });
    const selfRef = put('alias-self.yaml', 'a: &a [x, *a]\n');
    cases.push({ name: 'encrypt self-referencing alias', args: encryptArgs(selfRef), killMs: 10_000, maxMs: limit });
    await expectClean(cases);

    const ordinary = put('alias-ok.yaml', 'base: &b {user: admin, pass: secret}\ncopy: *b\n');
    const out = join(dir, 'alias-ok.enc.yaml');
    const encd = await keywardWithin(encryptArgs(ordinary)(out), 10_000, withKey);
    expect(encd.stderr).toBe('');
    expect(encd.code).toBe(0);
    const dec = await keyward(['decrypt', out], withKey);
    expect(dec.code).toBe(0);
    expect(dec.stdout).toContain('copy:\n    user: admin\n    pass: secret\n');
  }, 120_000);

  it('a 20 MB value either round-trips or fails cleanly', async () => {
    const big = 'x'.repeat(20 * 1024 * 1024);
    const sources: [string, string][] = [
      ['huge.yaml', `small: s\nbig: ${big}\n`],
      ['huge.json', `{"small": "s", "big": "${big}"}\n`],
      ['huge.env', `SMALL=s\nBIG=${big}\n`],
    ];
    for (const [name, text] of sources) {
      const plain = put(name, text);
      const encrypted = join(dir, `enc-${name}`);
      const back = join(dir, `dec-${name}`);
      const [made] = await expectClean([
        { name: `encrypt ${name}`, args: encryptArgs(plain), target: encrypted, killMs: 120_000, onSuccess: () => [] },
      ]);
      if (made?.code !== 0) continue;
      const [opened] = await expectClean([
        { name: `decrypt ${name}`, args: decryptArgs(encrypted), target: back, killMs: 120_000, onSuccess: () => [] },
      ]);
      if (opened?.code !== 0) continue;
      const same = readFileSync(back).equals(readFileSync(plain));
      const parsedSame =
        name.endsWith('.json') &&
        JSON.stringify(JSON.parse(readFileSync(back, 'utf8'))) === JSON.stringify(JSON.parse(text));
      expect(same || parsedSame).toBe(true);
    }
  }, 600_000);

  it('10,000 levels of nesting fail cleanly or work, without a crash', async () => {
    const n = 10_000;
    const deep: Record<string, string> = {
      'yaml flow maps': `a: ${'{a: '.repeat(n)}x${'}'.repeat(n)}\n`,
      'yaml flow lists': `a: ${'['.repeat(n)}x${']'.repeat(n)}\n`,
      'json objects': `{"a": ${'{"a": '.repeat(n)}"x"${'}'.repeat(n)}}\n`,
      'json arrays': `{"a": ${'['.repeat(n)}"x"${']'.repeat(n)}}\n`,
    };
    const encryptedJson = JSON.parse(enc(FIXTURES[1] as Fixture).bytes.toString()) as { sops: unknown };
    const cases = Object.entries(deep).flatMap(([name, text], i): BadCase[] => {
      const isJson = name.startsWith('json');
      const ext = isJson ? 'json' : 'yaml';
      const plain = put(`deep-${i}.${ext}`, text);
      const withSops = isJson
        ? `${text.trimEnd().slice(0, -1)}, "sops": ${JSON.stringify(encryptedJson.sops)}}\n`
        : text + yamlSopsBlock();
      const encrypted = put(`deep-enc-${i}.${ext}`, withSops);
      return [
        { name: `encrypt ${name}`, args: encryptArgs(plain), killMs: 60_000, onSuccess: () => [] },
        // the values are not ENC[…], so decrypt must refuse (or fail earlier on the depth)
        { name: `decrypt ${name}`, args: decryptArgs(encrypted), killMs: 60_000 },
      ];
    });
    await expectClean(cases);
  }, 300_000);

  it('empty files fail cleanly on decrypt; encrypt works or fails cleanly', async () => {
    const cases = FIXTURES.flatMap((fixture): BadCase[] => {
      const path = put(`empty.${fixture.ext}`, '');
      return [
        { name: `decrypt empty ${fixture.format}`, args: decryptArgs(path), compareSops: true },
        { name: `encrypt empty ${fixture.format}`, args: encryptArgs(path), compareSops: true, onSuccess: () => [] },
      ];
    });
    await expectClean(cases);
  }, 120_000);

  it('binary garbage fails cleanly in every format', async () => {
    const rnd = prng(0x9a4b);
    const garbage = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
    const cases = FIXTURES.flatMap((fixture): BadCase[] =>
      [garbage(4096), garbage(17), Buffer.concat([Buffer.from('sops:\n  mac: '), garbage(200)])].map((bytes, i) => ({
        name: `decrypt ${bytes.length} garbage bytes as ${fixture.format}`,
        args: decryptArgs(put(`garbage-${i}.${fixture.ext}`, bytes)),
        compareSops: true,
      })),
    );
    // the same garbage given as the type on the command line, through stdin
    cases.push({
      name: 'decrypt garbage from stdin as yaml',
      args: (target) => ['decrypt', '--input-type', 'yaml', '--output', target],
      opts: { ...withKey, input: garbage(1000) },
    });
    await expectClean(cases);
  }, 120_000);

  it('a directory as input fails with exit 2, a missing file with exit 100', async () => {
    const folder = join(dir, 'folder.yaml');
    mkdirSync(folder);
    const missing = join(dir, 'missing.yaml');
    await expectClean([
      { name: 'decrypt a directory', args: decryptArgs(folder), code: 2, compareSops: true },
      { name: 'encrypt a directory', args: encryptArgs(folder), code: 2, compareSops: true },
      { name: 'decrypt a missing file', args: decryptArgs(missing), code: 100, compareSops: true },
      { name: 'encrypt a missing file', args: encryptArgs(missing), code: 100, compareSops: true },
      { name: 'decrypt -i a missing file', args: () => ['decrypt', '-i', missing], code: 100, compareSops: true },
    ]);
  }, 60_000);

  it('reports where exit codes differ from sops', () => {
    if (divergences.length > 0) console.info(`exit codes that differ from sops:\n  ${divergences.join('\n  ')}`);
    expect(Array.isArray(divergences)).toBe(true);
  });
});
