/**
 * Comparing encrypted and decrypted files in the property interop tests: the
 * first differing line or byte, the layout of an encrypted file with ciphertexts,
 * age blocks and timestamps masked, the canonical data of decrypted output per
 * format, and the check that `set` changed one data line plus lastmodified/mac.
 */

import { type IniData, iniCanon } from './gen/formats.js';
import { canon, parseJson } from './gen/model.js';
import type { FormatName } from './gen/rules.js';

/** The first differing line of two texts, for failure messages. */
export function firstDiff(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let n = 0; n < Math.max(la.length, lb.length); n++) {
    const x = la[n] ?? '<none>';
    const y = lb[n] ?? '<none>';
    if (x === y) continue;
    let at = 0;
    while (at < x.length && x[at] === y[at]) at++;
    const from = Math.max(0, at - 60);
    return `line ${n + 1}, column ${at + 1}: ${JSON.stringify(x.slice(from, at + 120))} vs ${JSON.stringify(y.slice(from, at + 120))}`;
  }
  return a === b ? 'equal' : 'differ only in line endings';
}

export function firstByteDiff(a: Buffer, b: Buffer): string {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return `lengths ${a.length} vs ${b.length}, first difference at byte ${n}: ${a.subarray(n, n + 24).toString('hex')} vs ${b.subarray(n, n + 24).toString('hex')}`;
}

/** Masks everything that legitimately differs between two encryptions of the same data. */
export function layout(text: string): string {
  return text
    .replace(/ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:([a-z]+)\]/g, 'ENC[$1]')
    .replace(/-----BEGIN AGE ENCRYPTED FILE-----[\s\S]*?-----END AGE ENCRYPTED FILE-----/g, 'AGE')
    .replace(/(lastmodified["']?\s*[:=]\s*["']?)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, '$1TS');
}

/** Canonical data of a decrypted plaintext (text formats). */
function dataOf(format: FormatName, text: string): string {
  switch (format) {
    case 'json':
    case 'yaml':
      return canonJson(text);
    case 'dotenv': {
      const entries: [string, string][] = [];
      for (const line of text.split('\n')) {
        if (line === '' || line.startsWith('#')) continue;
        const eq = line.indexOf('=');
        if (eq < 0) throw new Error(`dotenv line without =: ${JSON.stringify(line)}`);
        entries.push([line.slice(0, eq), line.slice(eq + 1).replaceAll('\\n', '\n')]);
      }
      return JSON.stringify(entries);
    }
    case 'ini':
      return iniCanon(parseIni(text));
    case 'binary':
      return '';
  }
}

function canonJson(text: string): string {
  return canon(parseJson(text));
}

/** Reads go-ini output as sops writes it for our generated values (no quoting needed). */
function parseIni(text: string): IniData {
  const data: IniData = [['DEFAULT', []]];
  let current = data[0]?.[1] ?? [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || /^\s*[;#]/.test(line)) continue;
    const header = /^\[(.*)\]$/.exec(line);
    if (header) {
      current = [];
      data.push([header[1] ?? '', current]);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`INI line without =: ${JSON.stringify(line)}`);
    current.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return data;
}

export function safeData(format: FormatName, text: string): string {
  try {
    return dataOf(format, text);
  } catch (err) {
    return `<unparsable: ${(err as Error).message}>`;
  }
}

/** Index of the first line of the metadata block (everything before it is data). */
function metaStart(format: FormatName, lines: readonly string[]): number {
  const find = (re: RegExp, last: boolean): number => {
    const idx = last ? lines.findLastIndex((l) => re.test(l)) : lines.findIndex((l) => re.test(l));
    return idx < 0 ? lines.length : idx;
  };
  switch (format) {
    case 'yaml':
      return find(/^sops:$/, true);
    case 'json':
    case 'binary':
      return find(/^\s*"sops": \{$/, true);
    case 'dotenv':
      return find(/^sops_/, false);
    case 'ini':
      return find(/^\[sops\]$/, true);
  }
}

const META_CHANGE = /^\s*"?(sops_)?(lastmodified|mac)"?\s*[:=]/;

/** sops rewrites an encrypted same-line comment as a comment line above its key; so does keyward. */
const INLINE_ENC_COMMENT = /^( *)((?:- )*)(.*\S) (#ENC\[AES256_GCM,[^\]]*,type:comment\])$/gm;

function commentAbove(_: string, pad: string, dashes: string, rest: string, comment: string): string {
  const n = dashes.length / 2;
  if (n === 0) return `${pad}${comment}\n${pad}${rest}`;
  return `${pad}${'- '.repeat(n - 1)}${comment}\n${pad}${'  '.repeat(n - 1)}- ${rest}`;
}

/** Checks that `after` differs from `before` only in one data line plus lastmodified/mac. */
export function onlyValueChanged(format: FormatName, before: string, after: string): string | undefined {
  if (format === 'yaml') before = before.replace(INLINE_ENC_COMMENT, commentAbove);
  // a binary file has no selection rule; sops (and keyward) write the default one back on set
  if (format === 'binary') after = after.replace(/^\s*"unencrypted_suffix": "_unencrypted",\n/m, '');
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length !== b.length) return `line count changed: ${a.length} → ${b.length}\n${firstDiff(before, after)}`;
  const start = metaStart(format, a);
  if (metaStart(format, b) !== start) return 'the metadata block moved';
  const dataChanges: number[] = [];
  for (let n = 0; n < a.length; n++) {
    if (a[n] === b[n]) continue;
    // sops's IV stash holds one IV per (path, plaintext): of two equal comments under one path, one takes the
    // other's IV and so its exact ciphertext, as sops does too
    if (n < start) {
      if (!a.includes(b[n] ?? '')) dataChanges.push(n);
    } else if (!META_CHANGE.test(a[n] ?? '')) return `metadata line ${n + 1} changed: ${a[n]} → ${b[n]}`;
  }
  // none when the new value equals the old one (same plaintext, same IV, same ciphertext)
  if (dataChanges.length > 1)
    return `${dataChanges.length} data lines changed (expected at most 1): ${dataChanges
      .slice(0, 4)
      .map((n) => `${n + 1}: ${a[n]?.slice(0, 120)} → ${b[n]?.slice(0, 120)}`)
      .join(' | ')}`;
  return undefined;
}
