/**
 * The checks of one generated document in the property interop tests: both
 * tools encrypt it, each decrypts the other's file (same bytes, same data as
 * generated), both encrypted files share a layout, and for a sample `keyward
 * set` matches `sops set`. Failures are collected per category, not thrown.
 */

import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ran } from '../helpers/proc.js';
import { firstByteDiff, firstDiff, layout, onlyValueChanged, safeData } from './compare.js';
import { type Case, type FormatName, selectionFlags } from './gen/rules.js';
import { type Kw, RECIPIENT, sops } from './runner.js';

const SET_EVERY = 8;
const ORACLE_EVERY = 10;
const EXT: Record<FormatName, string> = { yaml: 'yaml', json: 'json', dotenv: 'env', ini: 'ini', binary: 'bin' };

export type Category = 'keyward→sops' | 'sops→keyward' | 'layout' | 'set' | 'set-layout' | 'oracle';
export const CATEGORIES: readonly Category[] = [
  'keyward→sops',
  'sops→keyward',
  'layout',
  'set',
  'set-layout',
  'oracle',
];

export interface Failure {
  c: Case;
  category: Category;
  detail: string;
  files: string[];
}

export interface FormatRun {
  docs: number;
  cliDocs: number;
  setTests: number;
  oracleChecks: number;
  failures: Failure[];
  coverage: Map<string, number>;
  seconds: number;
}

// ---------------------------------------------------------------------------
// One document

export async function checkCase(c: Case, work: string, kw: Kw, out: FormatRun): Promise<Failure[]> {
  const failures: Failure[] = [];
  const base = join(work, String(c.index));
  const plain = `${base}.plain.${EXT[c.format]}`;
  const kFile = `${base}.kw.${EXT[c.format]}`;
  const sFile = `${base}.sops.${EXT[c.format]}`;
  writeFileSync(plain, c.plain);
  const fail = (category: Category, detail: string, files: string[] = [plain]) =>
    failures.push({ c, category, detail, files });
  const flags = selectionFlags(c.selection);

  const [kEnc, sEnc] = await Promise.all([
    kw(['encrypt', '--age', RECIPIENT, ...flags, plain]),
    sops(['--encrypt', '--age', RECIPIENT, ...flags, plain]),
  ]);
  if (sEnc.code !== 0) {
    fail('oracle', `sops could not encrypt the generated document (exit ${sEnc.code}): ${sEnc.stderr.trim()}`);
    return failures;
  }
  writeFileSync(sFile, sEnc.stdoutBytes);
  const structured = c.format === 'yaml';

  // direction 2: sops encrypted, keyward decrypts
  const [sDecS, kDecS, kJsonS, sJsonS] = await Promise.all([
    sops(['decrypt', sFile]),
    kw(['decrypt', sFile]),
    structured ? kw(['decrypt', '--output-type', 'json', sFile]) : undefined,
    structured && c.index % ORACLE_EVERY === 0 ? sops(['decrypt', '--output-type', 'json', sFile]) : undefined,
  ]);
  checkDecrypt(c, 'sops→keyward', sDecS, kDecS, kJsonS, [plain, sFile], fail);
  if (sJsonS) {
    out.oracleChecks++;
    if (sJsonS.code !== 0) fail('oracle', `sops --output-type json of its own file failed: ${sJsonS.stderr.trim()}`);
    else {
      const got = safeData('json', sJsonS.stdout);
      if (got !== c.expected)
        fail('oracle', `sops's own round trip differs from the generated data: ${firstDiff(c.expected, got)}`);
    }
  } else if (sDecS.code === 0 && c.format !== 'yaml') {
    out.oracleChecks++;
    if (c.format === 'binary') {
      if (!sDecS.stdoutBytes.equals(c.plain))
        fail('oracle', `sops round trip: ${firstByteDiff(c.plain, sDecS.stdoutBytes)}`);
    } else {
      const got = safeData(c.format, sDecS.stdout);
      if (got !== c.expected)
        fail('oracle', `sops round trip differs from the generated data: ${firstDiff(c.expected, got)}`);
    }
  }

  // direction 1: keyward encrypted, sops decrypts
  if (kEnc.code !== 0) {
    fail('keyward→sops', `keyward encrypt failed (exit ${kEnc.code}): ${kEnc.stderr.trim()}`);
    return failures;
  }
  writeFileSync(kFile, kEnc.stdoutBytes);
  const [sDecK, kDecK, sJsonK] = await Promise.all([
    sops(['decrypt', kFile]),
    kw(['decrypt', kFile]),
    structured ? sops(['decrypt', '--output-type', 'json', kFile]) : undefined,
  ]);
  checkDecrypt(c, 'keyward→sops', sDecK, kDecK, sJsonK, [plain, kFile], fail);

  // both encryptions agree on everything but ciphertexts, keys and timestamps
  const lk = layout(kEnc.stdout);
  const ls = layout(sEnc.stdout);
  if (lk !== ls) fail('layout', `keyward vs sops encrypted file: ${firstDiff(lk, ls)}`, [plain, kFile, sFile]);

  if (c.set && c.index % SET_EVERY === 0) {
    out.setTests++;
    await checkSet(c, c.index % (2 * SET_EVERY) === 0 ? kFile : sFile, kw, fail);
  }
  return failures;
}

function checkDecrypt(
  c: Case,
  category: Category,
  bySops: Ran,
  byKeyward: Ran,
  json: Ran | undefined,
  files: string[],
  fail: (category: Category, detail: string, files?: string[]) => void,
): void {
  if (bySops.code !== 0) {
    // sops failing on its own file is a sops problem (e.g. comments in nested sequences), not keyward's
    const own = category === 'sops→keyward' ? 'oracle' : category;
    fail(own, `sops decrypt failed (exit ${bySops.code}): ${bySops.stderr.trim().slice(0, 500)}`, files);
    return;
  }
  if (byKeyward.code !== 0) {
    fail(category, `keyward decrypt failed (exit ${byKeyward.code}): ${byKeyward.stderr.trim().slice(0, 500)}`, files);
    return;
  }
  if (!bySops.stdoutBytes.equals(byKeyward.stdoutBytes)) {
    const detail =
      c.format === 'binary'
        ? firstByteDiff(bySops.stdoutBytes, byKeyward.stdoutBytes)
        : firstDiff(bySops.stdout, byKeyward.stdout);
    fail(category, `decrypted output differs (sops vs keyward): ${detail}`, files);
    return;
  }
  if (c.format === 'binary') {
    if (!bySops.stdoutBytes.equals(c.plain))
      fail(category, `decrypted bytes differ from the plaintext: ${firstByteDiff(c.plain, bySops.stdoutBytes)}`, files);
    return;
  }
  let got: string;
  if (json) {
    if (json.code !== 0) {
      fail(category, `decrypt --output-type json failed (exit ${json.code}): ${json.stderr.trim()}`, files);
      return;
    }
    got = safeData('json', json.stdout);
  } else {
    got = safeData(c.format, bySops.stdout);
  }
  if (got !== c.expected)
    fail(category, `decrypted data differs from the generated data: ${firstDiff(c.expected, got)}`, files);
}

async function checkSet(
  c: Case,
  source: string,
  kw: Kw,
  fail: (category: Category, detail: string, files?: string[]) => void,
): Promise<void> {
  const target = c.set;
  if (!target) return;
  const ext = EXT[c.format];
  const mine = `${source}.kwset.${ext}`;
  const theirs = `${source}.sopsset.${ext}`;
  cpSync(source, mine);
  cpSync(source, theirs);
  const files = [source, mine];
  const [kSet, sSet] = await Promise.all([
    kw(['set', mine, target.path, target.json]),
    sops(['set', theirs, target.path, target.json]),
  ]);
  if (sSet.code !== 0) {
    fail('oracle', `sops set ${target.path} ${target.json} failed: ${sSet.stderr.trim()}`, [source]);
    return;
  }
  if (kSet.code !== 0) {
    fail('set', `keyward set ${target.path} ${target.json} failed (exit ${kSet.code}): ${kSet.stderr.trim()}`, files);
    return;
  }
  const before = readFileSync(source, 'utf8');
  const after = readFileSync(mine, 'utf8');
  const problem = onlyValueChanged(c.format, before, after);
  if (problem) fail('set', `keyward set ${target.path} ${target.json}: ${problem}`, files);
  const lm = layout(after);
  const ls = layout(readFileSync(theirs, 'utf8'));
  if (lm !== ls)
    fail('set-layout', `keyward set vs sops set of ${target.path} ${target.json}: ${firstDiff(lm, ls)}`, files);
  const json = c.format === 'yaml';
  const dec = await sops(json ? ['decrypt', '--output-type', 'json', mine] : ['decrypt', mine]);
  if (dec.code !== 0) {
    fail('set', `sops cannot decrypt the file after keyward set (exit ${dec.code}): ${dec.stderr.trim()}`, files);
    return;
  }
  if (c.format === 'binary') {
    const want = target.bytes ?? Buffer.alloc(0);
    if (!dec.stdoutBytes.equals(want)) fail('set', `after set: ${firstByteDiff(want, dec.stdoutBytes)}`, files);
    return;
  }
  const got = safeData(json ? 'json' : c.format, dec.stdout);
  if (got !== target.expected) fail('set', `data after set differs: ${firstDiff(target.expected, got)}`, files);
}
