/**
 * The Git guard behind `keyward check`: findings for files that must not be
 * committed as they are. Rules, each with a stable id:
 *   unencrypted      a file a `.sops.yaml` rule with a path_regex names is not SOPS-encrypted
 *   mac-mismatch     a SOPS file whose MAC fails (checked when its keys are at hand)
 *   secret-literal   a Kubernetes Secret value that is neither a placeholder nor allow-listed
 *   private-key      private key material (PEM private keys, age and SSH secret keys)
 *   placeholder      a placeholder that does not parse (bad syntax, unknown modifier)
 *   missing-secret   with `resolve`: a referenced secret or key that does not exist
 * A finding names the file, the field or line, and the rule — never a value.
 */

import { type Document, parseAllDocuments } from 'yaml';
import { DecryptValueError, KeywardError, MacMismatchError } from '../errors.js';
import type { Context } from '../types.js';
import { annotation, kindOf, stringFields } from './fields.js';

export interface CheckSource {
  name: string;
  text: string;
  /** Whether a `.sops.yaml` rule with a path_regex names this file. */
  mustBeEncrypted: boolean;
}

export interface Finding {
  file: string;
  rule: 'unencrypted' | 'mac-mismatch' | 'secret-literal' | 'private-key' | 'placeholder' | 'missing-secret';
  /** `document 0, stringData.password`, `line 12`, or '' for the whole file. */
  where: string;
  message: string;
}

export interface CheckOptions {
  /** Secret fields (`Secret name/key`, `*` wildcards) that may hold literal values. */
  allow?: readonly string[];
  /** Verifies a SOPS file's MAC; throws MacMismatchError on a mismatch, anything else when keys are missing. */
  verifyMac?: (source: CheckSource) => Promise<void>;
}

const PRIVATE_KEY = [
  /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/,
  /\bAGE-SECRET-KEY-1[0-9A-Z]{58}\b/,
  /\bAGE-PLUGIN-[0-9A-Z-]+-1[0-9A-Z]+\b/,
];

/** Whether the text is a SOPS file (YAML or JSON with a `sops` block). */
export const isSopsFile = (text: string): boolean => /^sops:\s*$/m.test(text) || /"sops"\s*:\s*\{/.test(text);

function glob(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

function privateKeys(source: CheckSource): Finding[] {
  const lines = source.text.split('\n');
  const out: Finding[] = [];
  for (const [i, line] of lines.entries()) {
    if (PRIVATE_KEY.some((p) => p.test(line))) {
      out.push({ file: source.name, rule: 'private-key', where: `line ${i + 1}`, message: 'private key material' });
    }
  }
  return out;
}

function secretLiterals(doc: Document, file: string, index: number, allow: readonly RegExp[]): Finding[] {
  if (kindOf(doc) !== 'Secret') return [];
  const name = String(doc.getIn(['metadata', 'name']) ?? '');
  const out: Finding[] = [];
  for (const field of stringFields(doc)) {
    if (field.section !== 'data' && field.section !== 'stringData') continue;
    const key = field.path.slice(field.section.length + 1);
    if (allow.some((a) => a.test(`${name}/${key}`))) continue;
    const text = field.section === 'data' ? Buffer.from(field.value, 'base64').toString('utf8') : field.value;
    if (/<[^<>\n]+>/.test(field.value) || /<[^<>\n]+>/.test(text) || annotation(doc, 'path') !== undefined) continue;
    out.push({
      file,
      rule: 'secret-literal',
      where: `document ${index}, ${field.path}`,
      message: `Secret ${name || '(unnamed)'} holds a literal value (use a placeholder, SOPS-encrypt the file, or allow it)`,
    });
  }
  return out;
}

/** The findings of one source (placeholder syntax is checked by the caller, which also resolves). */
export async function checkSource(source: CheckSource, options: CheckOptions, _ctx: Context): Promise<Finding[]> {
  const findings: Finding[] = [];
  const encrypted = isSopsFile(source.text);
  if (source.mustBeEncrypted && !encrypted) {
    findings.push({
      file: source.name,
      rule: 'unencrypted',
      where: '',
      message: 'a .sops.yaml rule says this file is encrypted, and it is not',
    });
  }
  if (encrypted) {
    try {
      await options.verifyMac?.(source);
    } catch (err) {
      if (err instanceof MacMismatchError || err instanceof DecryptValueError) {
        findings.push({
          file: source.name,
          rule: 'mac-mismatch',
          where: '',
          message: 'the file was changed outside sops/keyward (its MAC or a value does not verify)',
        });
      } else if (!(err instanceof KeywardError)) throw err;
    }
    return findings;
  }
  findings.push(...privateKeys(source));
  if (!/\.(ya?ml|json)$/i.test(source.name)) return findings;
  const allow = (options.allow ?? []).map(glob);
  const docs = parseAllDocuments(source.text, { logLevel: 'error' });
  if (!Array.isArray(docs)) return findings;
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length > 0 || doc.contents === null) continue;
    findings.push(...secretLiterals(doc, source.name, i, allow));
  }
  return findings;
}
