/**
 * The generator's typed document model (maps, lists, typed scalars with their
 * source text, comments) and the canonical data form that both the model and
 * parsed decrypted output are compared in: numbers by value (ints as BigInt
 * text, exact above 2^53), map order and duplicate keys kept, comments dropped.
 */

// ---------------------------------------------------------------------------
// Model

export type Scalar =
  | { k: 'str'; v: string }
  | { k: 'int'; v: bigint }
  | { k: 'float'; v: number }
  | { k: 'bool'; v: boolean }
  | { k: 'null' }
  | { k: 'time'; rfc: string };

/** A scalar plus the source text the writer emits for it. */
export type Leaf = Scalar & { src: string };

export interface Entry {
  key: string;
  value: Value;
  comments: string[];
  inline?: string;
}

export interface Item {
  value: Value;
  comments: string[];
  inline?: string;
}

export type Value = Leaf | { k: 'map'; entries: Entry[] } | { k: 'list'; items: Item[] };
export type MapValue = { k: 'map'; entries: Entry[] };

// ---------------------------------------------------------------------------
// Canonical data form (shared by the model and by parsed decrypted output)

export type JVal =
  | { t: 'o'; e: [string, JVal][] }
  | { t: 'a'; v: JVal[] }
  | { t: 's'; v: string }
  | { t: 'n'; raw: string }
  | { t: 'b'; v: boolean }
  | { t: 'z' };

/** Shortest round-trip digits, as Go's encoding/json prints a float64 (no exponent below 1e21). */
function canonFloat(f: number): string {
  return Object.is(f, -0) ? '0' : String(f);
}

function canonNumber(raw: string): string {
  if (/^-?\d+$/.test(raw)) return BigInt(raw).toString();
  return canonFloat(Number(raw));
}

export function canon(v: JVal): string {
  switch (v.t) {
    case 'o':
      return `{${v.e.map(([k, x]) => `${JSON.stringify(k)}:${canon(x)}`).join(',')}}`;
    case 'a':
      return `[${v.v.map(canon).join(',')}]`;
    case 's':
      return JSON.stringify(v.v);
    case 'n':
      return canonNumber(v.raw);
    case 'b':
      return String(v.v);
    case 'z':
      return 'null';
  }
}

export function modelToJ(v: Value): JVal {
  switch (v.k) {
    case 'map':
      return { t: 'o', e: v.entries.map((e) => [e.key, modelToJ(e.value)]) };
    case 'list':
      return { t: 'a', v: v.items.map((i) => modelToJ(i.value)) };
    case 'str':
      return { t: 's', v: v.v };
    case 'int':
      return { t: 'n', raw: v.v.toString() };
    case 'float':
      return { t: 'n', raw: canonFloat(v.v) };
    case 'bool':
      return { t: 'b', v: v.v };
    case 'null':
      return { t: 'z' };
    case 'time':
      return { t: 's', v: v.rfc };
  }
}

/** A JSON parser that keeps number text (no precision loss), key order and duplicate keys. */
export function parseJson(text: string): JVal {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`bad JSON at offset ${i}: ${what}`);
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text.charAt(i) !== '"') i += text.charAt(i) === '\\' ? 2 : 1;
    if (i >= text.length) fail('unterminated string');
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): JVal => {
    ws();
    const c = text.charAt(i);
    if (c === '{') {
      i++;
      const e: [string, JVal][] = [];
      ws();
      if (text.charAt(i) === '}') {
        i++;
        return { t: 'o', e };
      }
      for (;;) {
        ws();
        if (text.charAt(i) !== '"') fail('expected a key');
        const key = str();
        ws();
        if (text.charAt(i) !== ':') fail('expected :');
        i++;
        e.push([key, value()]);
        ws();
        const d = text.charAt(i++);
        if (d === '}') return { t: 'o', e };
        if (d !== ',') fail('expected , or }');
      }
    }
    if (c === '[') {
      i++;
      const v: JVal[] = [];
      ws();
      if (text.charAt(i) === ']') {
        i++;
        return { t: 'a', v };
      }
      for (;;) {
        v.push(value());
        ws();
        const d = text.charAt(i++);
        if (d === ']') return { t: 'a', v };
        if (d !== ',') fail('expected , or ]');
      }
    }
    if (c === '"') return { t: 's', v: str() };
    for (const [word, val] of [
      ['true', { t: 'b', v: true }],
      ['false', { t: 'b', v: false }],
      ['null', { t: 'z' }],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return val;
      }
    }
    const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail('unexpected character');
    i += m[0].length;
    return { t: 'n', raw: m[0] };
  };
  const out = value();
  ws();
  if (i !== text.length) fail('trailing text');
  return out;
}
