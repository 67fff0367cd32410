/**
 * Kubernetes JSONPath expressions, the inside of one `{…}` of a `jsonPath` template
 * (jsonpath-template.ts): `.a.b`, `.list[0]`, `.map['dotted.key']`, `.items[*].name`,
 * `..name`, `.items[-1]`, slices `[1:]`, `[0:-1:2]`, unions `[0,2]`, filters
 * `[?(@.kind=="Secret")]` (==, !=, <, <=, >, >=, or a bare `@.field` test). `@` is the
 * current item (inside `range`), `$` the whole input. A key that does not exist is an
 * error, as kubectl's is.
 */

import { PlaceholderSyntaxError } from '../errors.js';

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'slice'; start?: number; end?: number; step: number }
  | { kind: 'union'; steps: Step[] }
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

const SLICE = /^(-?\d*):(-?\d*)(?::(-?\d*))?$/;
const number = (t: string | undefined): number | undefined => (t === undefined || t === '' ? undefined : Number(t));

function bracket(inner: string): Step {
  const t = inner.trim();
  if (t === '*') return { kind: 'wild' };
  if (/^-?\d+$/.test(t)) return { kind: 'index', index: Number(t) };
  const slice = SLICE.exec(t.replace(/\s+/g, ''));
  if (slice) {
    const step = number(slice[3]) ?? 1;
    if (step <= 0) throw new PlaceholderSyntaxError(`jsonPath: [${inner}] needs a positive step`);
    const [start, end] = [number(slice[1]), number(slice[2])];
    return { kind: 'slice', step, ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) };
  }
  const parts = t.split(/,(?=(?:[^'"]|'[^']*'|"[^"]*")*$)/);
  if (parts.length > 1) return { kind: 'union', steps: parts.map(bracket) };
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

/** Parses one `{…}` expression body (without its `$` or `@`) into steps. */
function parse(expr: string): Step[] {
  const steps: Step[] = [];
  let rest = expr.trim();
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
    } else if (step.kind === 'slice') {
      if (!Array.isArray(v)) throw new PlaceholderSyntaxError(`jsonPath {${expr}}: a slice of something not a list`);
      const at = (i: number | undefined, fallback: number) =>
        i === undefined ? fallback : Math.min(Math.max(i < 0 ? v.length + i : i, 0), v.length);
      for (let i = at(step.start, 0); i < at(step.end, v.length); i += step.step) out.push(v[i]);
    } else if (step.kind === 'union') for (const one of step.steps) out.push(...apply(one, [v], expr));
    else if (step.kind === 'wild') out.push(...(Array.isArray(v) ? v : isMap(v) ? Object.values(v) : []));
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

/** The results of one expression: from `$` (the input), `@` or a bare path (the current item). */
export function evaluate(expr: string, root: unknown, current: unknown): unknown[] {
  const body = expr.trim();
  let values: unknown[] = [body.startsWith('$') ? root : current];
  const path = body.startsWith('$') || body.startsWith('@') ? body.slice(1) : body;
  for (const step of parse(path)) values = apply(step, values, body);
  return values;
}
