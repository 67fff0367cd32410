/**
 * Kubernetes JSONPath templates, as kubectl and argocd-vault-plugin's `jsonPath`
 * modifier take them: text with `{…}` actions. An action is an expression
 * (jsonpath.ts), a quoted literal (`{'['}`, `{"\n"}`), or `{range EXPR}…{end}`, which
 * repeats its body for each result of EXPR with `@` (and bare paths) meaning that
 * item. Results print as kubectl prints them: text as is, numbers and booleans as
 * text, maps and lists as JSON, several results of one expression separated by spaces.
 */

import { PlaceholderSyntaxError } from '../errors.js';
import { evaluate } from './jsonpath.js';

type Part =
  | { kind: 'text'; text: string }
  | { kind: 'expr'; expr: string }
  | { kind: 'range'; expr: string; body: Part[] };

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r' };

/** The index of the `}` that closes the action opened at `open`; quoted text inside is literal. */
function actionEnd(template: string, open: number): number {
  let quote = '';
  for (let i = open + 1; i < template.length; i++) {
    const c = template[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '}') return i;
  }
  throw new PlaceholderSyntaxError(`jsonPath: ${JSON.stringify(template)} has an unclosed '{'`);
}

const unquote = (quoted: string): string => quoted.slice(1, -1).replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? c);

/** Parses a template into parts; `range` bodies nest. */
function parse(template: string): Part[] {
  const stack: Part[][] = [[]];
  const ranges: { expr: string }[] = [];
  const push = (part: Part) => stack[stack.length - 1]?.push(part);
  let at = 0;
  while (at < template.length) {
    const open = template.indexOf('{', at);
    if (open === -1) {
      push({ kind: 'text', text: template.slice(at) });
      break;
    }
    if (open > at) push({ kind: 'text', text: template.slice(at, open) });
    const close = actionEnd(template, open);
    const action = template.slice(open + 1, close).trim();
    at = close + 1;
    if (/^(['"]).*\1$/s.test(action)) push({ kind: 'text', text: unquote(action) });
    else if (/^range\s/.test(action)) {
      ranges.push({ expr: action.slice(5).trim() });
      stack.push([]);
    } else if (action === 'end') {
      const range = ranges.pop();
      const body = stack.pop();
      if (!range || !body) throw new PlaceholderSyntaxError('jsonPath: {end} without {range}');
      push({ kind: 'range', expr: range.expr, body });
    } else if (action === '') throw new PlaceholderSyntaxError('jsonPath: an empty {}');
    else push({ kind: 'expr', expr: action });
  }
  if (ranges.length > 0) throw new PlaceholderSyntaxError('jsonPath: {range} without {end}');
  return stack[0] ?? [];
}

const print = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);

function run(parts: readonly Part[], root: unknown, current: unknown): string {
  let out = '';
  for (const part of parts) {
    if (part.kind === 'text') out += part.text;
    else if (part.kind === 'expr') out += evaluate(part.expr, root, current).map(print).join(' ');
    else {
      const found = evaluate(part.expr, root, current);
      // a range over one list goes through its items, as kubectl's does
      const items = found.length === 1 && Array.isArray(found[0]) ? found[0] : found;
      for (const item of items) out += run(part.body, root, item);
    }
  }
  return out;
}

/** Evaluates a template such as `{.a}`, `user={.user}` or `{range .items[*]}{.name},{end}` against `input`. */
export function jsonPath(template: string, input: unknown): string {
  return run(parse(template), input, input);
}
