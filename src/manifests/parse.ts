/**
 * Parsing manifest text into YAML documents, bounded so that no input can stall a
 * long-running renderer (the Argo CD plugin's resident server renders every team's
 * apps in one process). Each document may hold at most KEYWARD_MAX_DOCUMENT_BYTES bytes
 * (default 4 MiB; Kubernetes stores objects of at most 1.5 MiB) and
 * KEYWARD_MAX_DOCUMENT_KEYS keys and list items (default 50,000), nested at most 200
 * deep. Sizes are checked on the text before parsing, and a document large enough to
 * break the key limit is counted by the yaml library's lexer, which stops at the
 * limit, so an oversized document fails in milliseconds. Duplicate keys are rejected
 * in one pass over each map (the library's own check compares every key with every
 * earlier one). The library never logs: its warnings quote document text, which may be
 * a secret.
 */

import { type Document, isAlias, isMap, isNode, isPair, isScalar, isSeq, Lexer, parseAllDocuments } from 'yaml';
import { FormatError } from '../errors.js';
import type { Settings } from '../settings.js';

export interface DocumentLimits {
  maxBytes: number;
  maxKeys: number;
}

const DEFAULT_LIMITS: DocumentLimits = { maxBytes: 4 * 1024 * 1024, maxKeys: 50_000 };
const MAX_DEPTH = 200;

/** The limits the settings ask for (KEYWARD_MAX_DOCUMENT_BYTES, KEYWARD_MAX_DOCUMENT_KEYS). */
export const limitsOf = (s: Settings): DocumentLimits => ({
  maxBytes: s.positive('KEYWARD_MAX_DOCUMENT_BYTES', DEFAULT_LIMITS.maxBytes),
  maxKeys: s.positive('KEYWARD_MAX_DOCUMENT_KEYS', DEFAULT_LIMITS.maxKeys),
});

/** The text of each document (split at `---` lines; over-splitting only makes pieces smaller). */
const pieces = (text: string): string[] => text.split(/^---(?=[ \t\r\n]|$)/m);

/** The lexer marks each plain and block scalar with U+001F before it; quoted scalars come as they are. */
const isScalarLexeme = (lexeme: string): boolean => lexeme === '\x1f' || lexeme[0] === '"' || lexeme[0] === "'";

/** Whether `text` holds more than `max` scalars, reading no further than needed. */
function tooManyScalars(text: string, max: number): boolean {
  let count = 0;
  for (const lexeme of new Lexer().lex(text)) {
    if (isScalarLexeme(lexeme) && ++count > max * 2) return true;
  }
  return false;
}

function checkSizes(text: string, name: string, limits: DocumentLimits): void {
  pieces(text).forEach((piece, index) => {
    const bytes = Buffer.byteLength(piece, 'utf8');
    if (bytes > limits.maxBytes) {
      throw new FormatError(
        `${name}: document ${index} has ${bytes} bytes, more than ${limits.maxBytes} (KEYWARD_MAX_DOCUMENT_BYTES)`,
      );
    }
    // a key or item takes two bytes at least: only a document this large can break the limit
    if (bytes > limits.maxKeys * 2 && tooManyScalars(piece, limits.maxKeys)) {
      throw new FormatError(
        `${name}: document ${index} has more than ${limits.maxKeys} keys and items (KEYWARD_MAX_DOCUMENT_KEYS)`,
      );
    }
  });
}

/** A map key as the yaml library's own check compares them: by type and value. */
const keyIdentity = (key: unknown): string =>
  isScalar(key) ? `${typeof key.value}:${String(key.value)}` : `node:${JSON.stringify(key)}`;

/** Checks duplicate keys, depth, the key count and that every alias follows its anchor, in one pass. */
function checkTree(doc: Document, name: string, index: number, limits: DocumentLimits): void {
  let count = 0;
  const anchors = new Set<string>();
  const fail = (why: string) => new FormatError(`${name}: document ${index} ${why}`);
  const visit = (node: unknown, depth: number): void => {
    if (depth > MAX_DEPTH) throw fail(`is nested more than ${MAX_DEPTH} deep`);
    if (isAlias(node)) {
      if (!anchors.has(node.source)) throw fail(`uses the alias *${node.source} before its anchor`);
      return;
    }
    if (isNode(node) && node.anchor) anchors.add(node.anchor);
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const id = keyIdentity(pair.key);
        if (seen.has(id)) throw fail(`has the key ${JSON.stringify(id.slice(id.indexOf(':') + 1))} twice in one map`);
        seen.add(id);
        count++;
        visit(pair.key, depth + 1);
        visit(pair.value, depth + 1);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) {
        count++;
        visit(item, depth + 1);
      }
    }
    if (count > limits.maxKeys)
      throw fail(`has more than ${limits.maxKeys} keys and items (KEYWARD_MAX_DOCUMENT_KEYS)`);
  };
  visit(doc.contents, 0);
}

/** The documents of `text`, bounded by `limits`; a syntax error names the file and document, never its text. */
export function parseManifests(text: string, name: string, limits: DocumentLimits = DEFAULT_LIMITS): Document[] {
  checkSizes(text, name, limits);
  const docs = parseAllDocuments(text, { uniqueKeys: false, logLevel: 'error', prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, index) => {
    const error = doc.errors[0];
    if (error) throw new FormatError(`${name}: document ${index} is not valid YAML or JSON (${error.code})`);
    checkTree(doc, name, index, limits);
  });
  return list;
}
