/**
 * The placeholder rules of `keyward check`: every placeholder in a manifest must
 * parse (syntax and modifier names), and with `resolve` every secret and key it
 * names must exist — proved by reading, each unique secret once, without keeping or
 * printing any value. Reads that fail (denied, Vault down) are findings too.
 */

import { parseAllDocuments } from 'yaml';
import type { Placeholder, SecretRef } from '../placeholders/grammar.js';
import { readKey, SecretReader } from '../placeholders/reader.js';
import { lookup, plan, type Reads, settle } from '../placeholders/resolve.js';
import type { BackendHelpers, Context } from '../types.js';
import type { CheckSource, Finding } from './check.js';
import { genericOf, stringFields } from './fields.js';

interface Use {
  file: string;
  where: string;
  placeholder: Placeholder;
}

function usesOf(source: CheckSource, findings: Finding[]): Use[] {
  const docs = parseAllDocuments(source.text, { logLevel: 'error' });
  if (!Array.isArray(docs)) return [];
  const uses: Use[] = [];
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length > 0 || doc.contents === null) continue;
    const generic = genericOf(doc, 'vault');
    for (const field of stringFields(doc)) {
      const where = `document ${i}, ${field.path}`;
      try {
        for (const segment of plan(field.value, generic).segments) {
          if (typeof segment !== 'string') uses.push({ file: source.name, where, placeholder: segment });
        }
      } catch (err) {
        findings.push({
          file: source.name,
          rule: 'placeholder',
          where,
          message: err instanceof Error ? err.message : 'does not parse',
        });
      }
    }
  }
  return uses;
}

/** Placeholder findings for the YAML/JSON sources; reads every referenced secret when `resolve`. */
export async function checkPlaceholders(
  sources: readonly CheckSource[],
  resolve: boolean,
  ctx: Context,
  helpers: BackendHelpers,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const uses = sources.filter((s) => /\.(ya?ml|json)$/i.test(s.name)).flatMap((s) => usesOf(s, findings));
  if (!resolve || uses.length === 0) return findings;
  const reader = new SecretReader(ctx, helpers);
  const reads: Reads = new Map();
  try {
    await settle(
      reader,
      uses.map((u) => u.placeholder.ref),
      reads,
    );
  } finally {
    await reader.close();
  }
  for (const use of uses) {
    const problem = missing(use.placeholder.ref, reads);
    if (problem)
      findings.push({
        file: use.file,
        rule: 'missing-secret',
        where: use.where,
        message: `${use.placeholder.text}: ${problem}`,
      });
  }
  return findings;
}

/** Why the reference cannot be resolved, or undefined when it can. */
function missing(ref: SecretRef, reads: Reads): string | undefined {
  const read = reads.get(readKey(ref));
  if (!read) return 'was not read';
  if (!read.ok) return read.error instanceof Error ? read.error.message : 'the read failed';
  if (read.value === undefined || read.value === null) return `${ref.scheme}:${ref.path} does not exist`;
  if (ref.key !== undefined && lookup(read.value, ref.key) === undefined)
    return `no key ${ref.key} in ${ref.scheme}:${ref.path}`;
  return undefined;
}
