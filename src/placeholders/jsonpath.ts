/**
 * Kubernetes-style JSONPath for the `jsonPath` modifier: `{.a.b}`, `{.list[0]}`,
 * `{.map['dotted.key']}`, `{.items[*].name}`, `{..name}`, `{.items[-1]}`, filters
 * `{.items[?(@.kind=="Secret")].name}` (==, !=, <, <=, >, >=, or a bare `@.field`
 * test), and literal text around expressions (`{.user}:{.pass}`). Results print
 * as kubectl prints them: text as is, numbers and booleans as text, maps and lists
 * as JSON, several results separated by spaces. A key that does not exist is an error.
 */

import { PlaceholderSyntaxError } from '../errors.js';

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wild' }
  | { kind: 'recurse'; name: string }
  | { kind: 'filter'; path: string[]; op?: string; value?: unknown };

const FILTER = /^\?\(@((?:\.[\w-]+)+)\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*\)$/;

function literal(text: string): unknown {
  const t = text.trim();
  if (/^(['"]).*\1$/.test(t)) return t.slice(1, -1);
  if (t === 'true' || t === 'false') return t === 'true';
  const n = Number(t);
  if (t !== '' && !Number.isNaN(n)) return n;
  throw new PlaceholderSyntaxError(`jsonPath: ${JSON.stringify(t)} is not a value to compare with`);
}

function bracket(inner: string): Step {
  const t = inner.trim();
  if (t === '*') return { kind: 'wild' };
  if (/^-?\d+$/.test(t)) return { kind: 'index', index: Number(t) };
  if (/^(['"]).*\1$/.test(t)) return { kind: 'field', name: t.slice(1, -1) };
  const f = FILTER.exec(t);
  if (f) {
    const path = (f[1] ?? '').slice(1).split('.');
    return f[2] ? { kind: 'filter', path, op: f[2], value: literal(f[3] ?? '') } : { kind: 'filter', path };
  }
  throw new PlaceholderSyntaxError(`jsonPath: [${inner}] is not supported`);
}

/** The tokens of an expression body, each a pattern and the step its match makes. */
const TOKENS: readonly [RegExp, (m: RegExpExecArray) => Step][] = [
  [/^\.\.([\w-]+)/, (m) => ({ kind: 'recurse', name: m[1] ?? '' })],
  [/^\.([\w-]+)/, (m) => ({ kind: 'field', name: m[1] ?? '' })],
  [/^\.?\[((?:[^\]'"]|'[^']*'|"[^"]*")*)\]/, (m) => bracket(m[1] ?? '')],
  [/^\.\*/, () => ({ kind: 'wild' })],
];

/** Parses one `{…}` expression body into steps. */
function parse(expr: string): Step[] {
  const steps: Step[] = [];
  let rest = expr.trim().replace(/^\$/, '');
  while (rest !== '' && rest !== '.') {
    let matched = false;
    for (const [pattern, make] of TOKENS) {
      const m = pattern.exec(rest);
      if (!m) continue;
      steps.push(make(m));
      rest = rest.slice(m[0].length);
      matched = true;
      break;
    }
    if (!matched) throw new PlaceholderSyntaxError(`jsonPath: cannot read ${JSON.stringify(rest)}`);
  }
  return steps;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function compare(a: unknown, op: string, b: unknown): boolean {
  if (op === '==') return a === b;
  if (op === '!=') return a !== b;
  if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) return false;
  const [x, y] = [a as number | string, b as number | string];
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
}

function descend(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const name of path) v = isMap(v) ? v[name] : undefined;
  return v;
}

function collect(value: unknown, name: string, out: unknown[]): void {
  if (isMap(value)) {
    if (name in value) out.push(value[name]);
    for (const child of Object.values(value)) collect(child, name, out);
  } else if (Array.isArray(value)) for (const child of value) collect(child, name, out);
}

function apply(step: Step, values: unknown[], expr: string): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    if (step.kind === 'field') {
      if (!isMap(v) || !(step.name in v))
        throw new PlaceholderSyntaxError(`jsonPath {${expr}}: ${step.name} is not found`);
      out.push(v[step.name]);
    } else if (step.kind === 'index') {
      if (!Array.isArray(v))
        throw new PlaceholderSyntaxError(`jsonPath {${expr}}: [${step.index}] of something not a list`);
      const item = v[step.index < 0 ? v.length + step.index : step.index];
      if (item === undefined)
        throw new PlaceholderSyntaxError(`jsonPath {${expr}}: index ${step.index} is out of range`);
      out.push(item);
    } else if (step.kind === 'wild') out.push(...(Array.isArray(v) ? v : isMap(v) ? Object.values(v) : []));
    else if (step.kind === 'recurse') collect(v, step.name, out);
    else if (Array.isArray(v)) {
      const { path, op, value } = step;
      out.push(
        ...v.filter((item) => (op ? compare(descend(item, path), op, value) : descend(item, path) !== undefined)),
      );
    }
  }
  return out;
}

const print = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);

/** Evaluates a template such as `{.a}` or `user={.user}` against `input`. */
export function jsonPath(template: string, input: unknown): string {
  let out = '';
  let rest = template;
  while (rest !== '') {
    const open = rest.indexOf('{');
    if (open === -1) break;
    const close = rest.indexOf('}', open);
    if (close === -1) throw new PlaceholderSyntaxError(`jsonPath: ${JSON.stringify(template)} has an unclosed '{'`);
    out += rest.slice(0, open);
    const expr = rest.slice(open + 1, close);
    let values: unknown[] = [input];
    for (const step of parse(expr)) values = apply(step, values, expr);
    out += values.map(print).join(' ');
    rest = rest.slice(close + 1);
  }
  return out + rest;
}
