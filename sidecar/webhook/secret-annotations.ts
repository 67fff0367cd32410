/**
 * The per-secret annotations: `secret-<name>` (a placeholder, or a Vault path whose
 * whole secret is written as JSON), `template-<name>` (text with placeholders, which
 * wins over the secret's), `file-<name>` (a path under the secrets folder, default
 * `<name>`) and `perms-<name>` (an octal mode, default 0444). Checked without I/O:
 * placeholder schemes, file paths that stay in the folder, no two secrets in one file.
 */

import { backendSchemes, ConfigError, checkPlaceholderText } from '../../src/index.js';
import { isSafeRelative, type SecretSpec } from '../contract.js';
import { DEFAULTS } from './options.js';
import { PREFIX } from './pod.js';

const KIND = /^keyward\.io\/(secret|template|file|perms)-(.+)$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const PLACEHOLDER = /<\s*([A-Za-z0-9_-]+)\s*:/g;

/** The schemes the text's placeholders name, in order. */
export function schemesIn(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

/**
 * Whether an env value holds a placeholder the launcher must resolve; a ConfigError
 * naming the variable when it looks like one but does not parse.
 */
export function envPlaceholder(container: string, name: string, text: string): boolean {
  const check = checkPlaceholderText(text);
  if (check.problem && schemesIn(text).length > 0) {
    throw new ConfigError(`keyward: container ${container}, env ${name}: ${check.problem}`);
  }
  return check.count > 0;
}

function checkSource(key: string, text: string, problems: string[]): void {
  const check = checkPlaceholderText(text);
  if (check.problem) {
    problems.push(`${key}: ${check.problem}`);
    return;
  }
  if (check.count > 0) return;
  const unknown = schemesIn(text).find((s) => !backendSchemes.includes(s));
  if (unknown) problems.push(`${key}: unknown backend ${JSON.stringify(unknown)} (${backendSchemes.join(', ')})`);
  else problems.push(`${key}: holds no placeholder such as <vault:secret/app#key>`);
}

function fileOf(key: string, value: string, problems: string[]): string {
  const file = value.trim();
  if (!isSafeRelative(file)) {
    problems.push(`${key}: ${JSON.stringify(value)} must be a relative path inside the secrets folder`);
  }
  return file;
}

function permsOf(key: string, value: string, problems: string[]): number {
  const v = value.trim();
  if (!/^0?[0-7]{3}$/.test(v)) {
    problems.push(`${key}: ${JSON.stringify(value)} is not an octal file mode such as 0400`);
    return DEFAULTS.perms;
  }
  return Number.parseInt(v, 8);
}

/** Every secret the annotations name, sorted by name. */
export function secretsOf(a: Readonly<Record<string, string>>, problems: string[]): SecretSpec[] {
  const byName = new Map<string, Partial<Record<'secret' | 'template' | 'file' | 'perms', string>>>();
  for (const [key, value] of Object.entries(a)) {
    const m = KIND.exec(key);
    if (!m?.[1] || !m[2]) continue;
    const kind = m[1] as 'secret' | 'template' | 'file' | 'perms';
    if (!NAME.test(m[2])) {
      problems.push(`${key}: the name ${JSON.stringify(m[2])} may hold only letters, digits, ., _ and -`);
      continue;
    }
    byName.set(m[2], { ...byName.get(m[2]), [kind]: value });
  }
  const secrets: SecretSpec[] = [];
  const files = new Map<string, string>();
  for (const name of [...byName.keys()].sort()) {
    const parts = byName.get(name) ?? {};
    const key = (kind: string) => `${PREFIX}${kind}-${name}`;
    let source: string | undefined;
    if (parts.template !== undefined) {
      checkSource(key('template'), parts.template, problems);
      source = parts.template;
    }
    if (parts.secret !== undefined) {
      const text = parts.secret.trim();
      if (text.includes('<')) checkSource(key('secret'), text, problems);
      else if (text === '' || /\s/.test(text)) problems.push(`${key('secret')}: must be a placeholder or a Vault path`);
      source ??= text.includes('<') ? text : `<vault:${text}>`;
    }
    if (source === undefined) {
      problems.push(`${key(parts.file !== undefined ? 'file' : 'perms')}: no ${key('secret')} or ${key('template')}`);
      continue;
    }
    const file = parts.file !== undefined ? fileOf(key('file'), parts.file, problems) : name;
    const other = files.get(file);
    if (other !== undefined) problems.push(`${key('file')}: ${file} is also the file of secret ${other}`);
    files.set(file, name);
    const mode = parts.perms !== undefined ? permsOf(key('perms'), parts.perms, problems) : DEFAULTS.perms;
    secrets.push({ name, source, file, mode });
  }
  return secrets;
}
