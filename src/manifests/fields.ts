/**
 * The string fields of a Kubernetes manifest where placeholders may stand: every
 * string value at any depth (never a map key), each with its path for error
 * reports and the means to replace or remove it in place, so that the document
 * keeps its key order and comments. Also the manifest's kind and the annotation
 * rules of keyward and argocd-vault-plugin (`keyward.io/…` wins over `avp.kubernetes.io/…`).
 */

import { type Document, isMap, isPair, isScalar, isSeq, type Node, type Pair, type Scalar } from 'yaml';
import type { GenericContext } from '../placeholders/grammar.js';

export interface Field {
  /** `spec.template.spec.containers[0].env[1].value` */
  path: string;
  value: string;
  /** The first key below the top level (`data` in a Secret's `data.password`). */
  section: string;
  set(value: unknown): void;
  remove(): void;
}

const keyText = (pair: Pair): string => {
  const key = pair.key;
  return isScalar(key) ? String(key.value) : String(key);
};

/** The scalar with new text; multi-line text becomes a literal block instead of a folded plain scalar. */
function withText(scalar: Scalar, value: string): Scalar {
  scalar.value = value;
  if (value.includes('\n')) scalar.type = 'BLOCK_LITERAL';
  return scalar;
}

/** `section` is the top-level key the walk is under (a key itself may hold `.` or `[`). */
function walk(doc: Document, node: unknown, path: string, section: string, out: Field[]) {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const name = keyText(pair);
      const next = path === '' ? name : `${path}.${name}`;
      const under = path === '' ? name : section;
      const value = pair.value;
      if (isScalar(value) && typeof value.value === 'string') {
        const text = value.value;
        out.push({
          path: next,
          value: text,
          section: under,
          set: (v) => {
            pair.value = typeof v === 'string' ? withText(value, v) : doc.createNode(v);
          },
          remove: () => {
            node.items.splice(node.items.indexOf(pair), 1);
          },
        });
      } else walk(doc, value, next, under, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const next = `${path}[${i}]`;
      if (isScalar(item) && typeof item.value === 'string') {
        out.push({
          path: next,
          value: item.value,
          section,
          set: (v) => {
            node.items[node.items.indexOf(item)] = typeof v === 'string' ? withText(item, v) : doc.createNode(v);
          },
          remove: () => {
            node.items.splice(node.items.indexOf(item), 1);
          },
        });
      } else walk(doc, item, next, section, out);
    });
  }
}

/** Every string value of the document, in document order. */
export function stringFields(doc: Document): Field[] {
  const out: Field[] = [];
  walk(doc, doc.contents as Node | null, '', '', out);
  return out;
}

function at(doc: Document, ...path: string[]): unknown {
  const value = doc.getIn(path);
  return isScalar(value) ? value.value : value;
}

export const kindOf = (doc: Document): string => {
  const kind = at(doc, 'kind');
  return typeof kind === 'string' ? kind : '';
};

/** An annotation under `keyward.io/<name>`, else `avp.kubernetes.io/<name>`. */
export function annotation(doc: Document, name: string): string | undefined {
  for (const prefix of ['keyward.io', 'avp.kubernetes.io']) {
    const value = at(doc, 'metadata', 'annotations', `${prefix}/${name}`);
    if (value !== undefined && value !== null) return String(value);
  }
  return undefined;
}

/** Go's strconv.ParseBool, as AVP reads its flags: anything else is false. */
export const truthy = (value: string | undefined): boolean =>
  value !== undefined && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value);

/**
 * What AVP's generic `<key>` placeholders read: the secret the `path` annotation names
 * (`scheme:path`, or a bare path for the default backend `avp`), at `secret-version`.
 */
export function genericOf(doc: Document, avp: string): GenericContext | undefined {
  const path = annotation(doc, 'path');
  if (path === undefined || path.trim() === '') return undefined;
  const version = annotation(doc, 'secret-version');
  const scheme = /^(vault|sops|k8s|env|memory):/.exec(path)?.[1];
  return {
    scheme: scheme ?? avp,
    path: scheme ? path.slice(scheme.length + 1) : path,
    ...(version ? { version } : {}),
  };
}
