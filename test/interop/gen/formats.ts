/**
 * Case generators for the flat formats: dotenv (keys, values with escaped
 * newlines), INI (sections, comments, the DEFAULT section and its canonical
 * form) and binary (text or random bytes), each with a `set` target.
 */

import { canon } from './model.js';
import { type Rng, randText } from './rng.js';
import { type Case, commentText, decorate } from './rules.js';
import { PATH_SAFE, pathText, randSetString } from './set-targets.js';

const DOTENV_KEY_BASES = ['DB_HOST', 'API_TOKEN', 'PORT', 'user', 'x', 'Пароль', 'ключ_1', '密码', 'mac', 'data'];

export function genDotenv(rng: Rng, c: Case): void {
  const lines: string[] = [];
  const entries: [string, string][] = [];
  const seen = new Set<string>();
  const count = rng.range(1, 12);
  for (let n = 0; n < count; n++) {
    if (rng.chance(0.2)) lines.push(`#${commentText(rng)}`);
    let key = decorate(rng, `${rng.pick(DOTENV_KEY_BASES)}${rng.chance(0.5) ? rng.int(50) : ''}`);
    if (rng.chance(0.05)) key = `${key} `;
    while (seen.has(key)) key = `${key}${rng.int(10)}`;
    seen.add(key);
    let raw = rng.chance(0.1) ? '' : randText(rng, { max: 40, tab: true, cr: rng.chance(0.1) });
    if (rng.chance(0.1)) raw = `${raw}\\n${randText(rng, { max: 10 })}`;
    if (rng.chance(0.05)) raw = ` ${raw} `;
    lines.push(`${key}=${raw}`);
    entries.push([key, raw.replaceAll('\\n', '\n')]);
    if (rng.chance(0.05)) lines.push('');
  }
  c.plain = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
  c.expected = JSON.stringify(entries);
  const safe = entries.filter(([k, v]) => PATH_SAFE.test(k) && !/[\n\r]/.test(v));
  if (safe.length > 0) {
    const [key] = rng.pick(safe);
    const value = randSetString(rng);
    c.set = {
      path: pathText([key]),
      json: JSON.stringify(value),
      expected: JSON.stringify(entries.map(([k, v]) => [k, k === key ? value : v])),
    };
  }
}

const INI_PUNCT = ' !$%&()*+,-./:<=>?@^_{|}~';

function iniValue(rng: Rng): string {
  if (rng.chance(0.1)) return '';
  return randText(rng, { max: 30, punct: INI_PUNCT }).trim();
}

function iniName(rng: Rng, bases: readonly string[]): string {
  const base = rng.chance(0.2) ? randText(rng, { max: 8, punct: '' }).replace(/[\s\u00a0]/gu, '') : rng.pick(bases);
  return decorate(rng, base === '' ? 'k' : base);
}

/** Sections in order; the implicit DEFAULT section is first. */
export type IniData = [string, [string, string][]][];

export function iniCanon(data: IniData): string {
  return canon({
    t: 'o',
    e: data
      .filter(([name, entries]) => name !== 'DEFAULT' || entries.length > 0)
      .map(([name, entries]) => [name, { t: 'o', e: entries.map(([k, v]) => [k, { t: 's', v }]) }]),
  });
}

export function genIni(rng: Rng, c: Case): void {
  const lines: string[] = [];
  const data: IniData = [];
  const sectionNames = new Set<string>(['default', 'sops']);
  const sectionCount = rng.range(1, 5);
  const withDefault = rng.chance(0.3);
  for (let s = withDefault ? -1 : 0; s < sectionCount; s++) {
    let name = 'DEFAULT';
    if (s >= 0) {
      name = iniName(rng, ['server', 'database', 'секция', '服务', 'app', 'mac', 'auth']);
      while (sectionNames.has(name.toLowerCase())) name = `${name}${rng.int(10)}`;
      sectionNames.add(name.toLowerCase());
      if (lines.length > 0) lines.push('');
      if (rng.chance(0.15)) lines.push(`${rng.pick([';', '#'])}${commentText(rng)}`);
      lines.push(`[${name}]`);
    }
    const entries: [string, string][] = [];
    const keys = new Set<string>();
    const count = rng.range(s === -1 ? 1 : 0, 6);
    for (let n = 0; n < count; n++) {
      if (rng.chance(0.15)) lines.push(`${rng.pick([';', '#'])}${commentText(rng)}`);
      let key = iniName(rng, ['host', 'port', 'user', 'password', 'ключ', '名字', 'token']);
      while (keys.has(key.toLowerCase())) key = `${key}${rng.int(10)}`;
      keys.add(key.toLowerCase());
      const value = iniValue(rng);
      lines.push(rng.chance(0.5) ? `${key} = ${value}`.trimEnd() : `${key}=${value}`);
      entries.push([key, value]);
    }
    data.push([name, entries]);
  }
  c.plain = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
  if (!withDefault) data.unshift(['DEFAULT', []]);
  c.expected = iniCanon(data);
  const targets = data.flatMap(([name, entries]) =>
    entries.filter(([k]) => PATH_SAFE.test(k) && PATH_SAFE.test(name)).map(([k]) => [name, k] as const),
  );
  if (targets.length > 0) {
    const [section, key] = rng.pick(targets);
    let value = randSetString(rng, INI_PUNCT);
    if (value.trim() !== value || value === '') value = 'new';
    const after: IniData = data.map(([name, entries]) => [
      name,
      entries.map(([k, v]): [string, string] => [k, name === section && k === key ? value : v]),
    ]);
    c.set = { path: pathText([section, key]), json: JSON.stringify(value), expected: iniCanon(after) };
  }
}

export function genBinary(rng: Rng, c: Case): void {
  const r = rng.next();
  if (r < 0.05) c.plain = Buffer.alloc(0);
  else if (r < 0.35) c.plain = Buffer.from(randText(rng, { max: 400, newline: true, tab: true, cr: true }), 'utf8');
  else {
    const len = rng.chance(0.8) ? rng.range(1, 600) : rng.range(600, 4000);
    c.plain = Buffer.from(Array.from({ length: len }, () => rng.int(256)));
  }
  c.expected = '';
  const value = randSetString(rng);
  c.set = { path: '["data"]', json: JSON.stringify(value), expected: '', bytes: Buffer.from(value, 'utf8') };
}
