/**
 * Random YAML and JSON scalars for the generator: keys (quoted when YAML needs
 * it), timestamps, ints (hex, octal, underscores, int64 edges), floats, strings
 * (tricky plain words, JSON escapes) and the leaf picker that mixes them.
 */

import type { Leaf } from './model.js';
import { type Rng, randText } from './rng.js';
import { decorate } from './rules.js';

// ---------------------------------------------------------------------------
// YAML and JSON scalars

const RESERVED_PLAIN = /^(true|false|null|~|)$/i;
const YAML_PLAIN_SAFE = /^[A-Za-z][A-Za-z0-9_ .-]*[A-Za-z0-9]$|^[A-Za-z]$/;
const TRICKY_STRINGS = [
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  'Yes',
  'NO',
  'On',
  'OFF',
  '1.2.3',
  '0x',
  '12:30',
  '2024-13-45',
  '0b102',
  '1e5x',
  'v1.0',
  '123abc',
  'true1',
  'nulls',
];

function yamlQuote(rng: Rng, s: string): string {
  if (rng.chance(0.1) && /^[^\n\t\r'\\]*$/.test(s) && s.length > 0) return `'${s.replaceAll("'", "''")}'`;
  return JSON.stringify(s);
}

export function yamlKey(rng: Rng, key: string): string {
  if (YAML_PLAIN_SAFE.test(key) && !RESERVED_PLAIN.test(key) && !key.includes('  ')) return key;
  return yamlQuote(rng, key);
}

export function randKey(rng: Rng, format: 'yaml' | 'json'): string {
  const r = rng.next();
  let base: string;
  if (r < 0.55) {
    base = `${rng.pick(['app', 'db', 'user', 'token', 'host', 'port', 'x', 'list', 'mac', 'data', 'key'])}${rng.chance(0.5) ? rng.int(100) : ''}`;
  } else if (r < 0.7) {
    base = rng.pick(['ключ', '键', 'clé', 'schlüssel', '🔑', 'κλειδί', 'מפתח', '𝒌𝒆𝒚', '𠀋']);
  } else if (r < 0.77) {
    base = rng.pick(['two words', 'a.b.c', 'with-dash', 'colon:inside', 'slash/path', '123', '0x1F', 'yes', 'null']);
  } else if (r < 0.82 && format === 'yaml') {
    base = rng.pick(['true', 'False', '~', '1.5', '2024-01-01']);
  } else {
    base = randText(rng, { max: 12 });
    if (base === '') base = 'k';
  }
  return decorate(rng, base);
}

function randTime(rng: Rng): Leaf {
  const y = rng.range(1970, 2099);
  const mo = rng.range(1, 12);
  const d = rng.range(1, 28);
  const h = rng.range(0, 23);
  const mi = rng.range(0, 59);
  const s = rng.range(0, 59);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const date = `${y}-${p2(mo)}-${p2(d)}`;
  const clock = `${p2(h)}:${p2(mi)}:${p2(s)}`;
  switch (rng.int(6)) {
    case 0:
      return { k: 'time', rfc: `${date}T00:00:00Z`, src: date };
    case 1:
      return { k: 'time', rfc: `${date}T00:00:00Z`, src: `${y}-${mo}-${d}` };
    case 2:
      return { k: 'time', rfc: `${date}T${clock}Z`, src: `${date}T${clock}Z` };
    case 3: {
      const frac = String(rng.range(1, 999999999)).padStart(9, '0');
      const trimmed = frac.replace(/0+$/, '');
      return {
        k: 'time',
        rfc: `${date}T${clock}.${trimmed}Z`,
        src: `${date}T${clock}.${frac.slice(0, rng.range(1, 9))}Z`,
      };
    }
    case 4: {
      const sign = rng.chance(0.5) ? '+' : '-';
      const off = `${sign}${p2(rng.range(1, 12))}:${rng.pick(['00', '30', '45'])}`;
      return { k: 'time', rfc: `${date}T${clock}${off}`, src: `${date}T${clock}${off}` };
    }
    default:
      return { k: 'time', rfc: `${date}T${clock}Z`, src: `${date} ${clock}` };
  }
}

function fixTimeFrac(leaf: Leaf): Leaf {
  // the fractional seconds written may be a prefix of the generated digits: recompute the RFC3339Nano text
  if (leaf.k !== 'time') return leaf;
  const m = /^(.*T\d\d:\d\d:\d\d)\.(\d+)Z$/.exec(leaf.src);
  if (!m) return leaf;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  return { ...leaf, rfc: `${m[1]}${frac ? `.${frac}` : ''}Z` };
}

function randInt(rng: Rng, format: 'yaml' | 'json'): Leaf {
  const r = rng.next();
  let v: bigint;
  if (r < 0.4) v = BigInt(rng.range(-1000, 1000));
  else if (r < 0.6) v = BigInt(rng.int(2 ** 32) - 2 ** 31);
  else if (r < 0.9) v = rng.int64();
  else v = rng.pick([2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, -(2n ** 53n) - 3n, 0n]);
  if (format === 'yaml' && v > 0n && rng.chance(0.2)) {
    switch (rng.int(5)) {
      case 0:
        return { k: 'int', v, src: `0x${v.toString(16).toUpperCase()}` };
      case 1:
        return { k: 'int', v, src: `0o${v.toString(8)}` };
      case 2:
        return { k: 'int', v, src: `0${v.toString(8)}` };
      case 3: {
        const digits = v.toString();
        const cut = rng.range(1, Math.max(1, digits.length - 1));
        if (cut >= digits.length) return { k: 'int', v, src: `+${digits}` };
        return { k: 'int', v, src: `${digits.slice(0, cut)}_${digits.slice(cut)}` };
      }
      default:
        return { k: 'int', v, src: `+${v}` };
    }
  }
  return { k: 'int', v, src: v.toString() };
}

function randFloat(rng: Rng, format: 'yaml' | 'json'): Leaf {
  const r = rng.next();
  let v: number;
  if (r < 0.4) v = rng.range(-1000000, 1000000) / 10 ** rng.range(0, 6);
  else if (r < 0.75) v = (rng.next() - 0.5) * 10 ** rng.range(-12, 30);
  else if (r < 0.85) v = rng.pick([0.1, 1e21, 1e-7, 123456789.125, 1234568000, 5e-324, 1.7976931348623157e308, 0.5]);
  else if (format === 'yaml' && r < 0.92) {
    const digits = String(rng.range(1, 99999));
    return { k: 'float', v: Number(`0.${digits}`), src: `.${digits}` };
  } else if (format === 'yaml') {
    const n = rng.range(0, 9999);
    return { k: 'float', v: n, src: `0${n}${rng.chance(0.5) ? '8' : '9'}` };
  } else {
    const n = rng.range(-99999, 99999);
    return { k: 'float', v: n * 10 ** 3, src: `${n}e3` };
  }
  if (Object.is(v, -0)) v = 0;
  let src = String(v);
  if (!/[.eE]/.test(src)) src = `${src}.0`;
  return { k: 'float', v, src };
}

function leadingZeroFloat(leaf: Leaf): Leaf {
  // `0<digits>` with an 8 or 9 in it is a float in yaml.v3 (ParseInt fails as octal)
  if (leaf.k === 'float' && /^0\d+$/.test(leaf.src)) return { ...leaf, v: Number(leaf.src) };
  return leaf;
}

function randString(rng: Rng, format: 'yaml' | 'json'): Leaf {
  const r = rng.next();
  if (r < 0.1) return { k: 'str', v: '', src: '""' };
  if (format === 'yaml' && r < 0.2) {
    const v = rng.pick(TRICKY_STRINGS);
    return { k: 'str', v, src: v };
  }
  let v = randText(rng, { max: r < 0.9 ? 24 : 160, newline: true, tab: true });
  // sops 3.13.2 writes a multi-line YAML string that starts with a tab as `null` (data loss), and one that starts
  // with a space or line break inside a list with a `|4-` header it cannot read back; keyward quotes both
  // (test/sops/yaml-divergence.test.ts)
  if (format === 'yaml' && /^[\t \n]/.test(v) && v.includes('\n')) v = `x${v}`;
  if (format === 'json') {
    if (rng.chance(0.15)) {
      const escaped = [...v]
        .map((ch) => {
          const cp = ch.codePointAt(0) ?? 0;
          if (cp < 0x80) return JSON.stringify(ch).slice(1, -1);
          let out = '';
          for (let u = 0; u < ch.length; u++) out += `\\u${ch.charCodeAt(u).toString(16).padStart(4, '0')}`;
          return out;
        })
        .join('');
      return { k: 'str', v, src: `"${escaped}"` };
    }
    return { k: 'str', v, src: JSON.stringify(v) };
  }
  if (YAML_PLAIN_SAFE.test(v) && !RESERVED_PLAIN.test(v) && !v.includes('  ') && rng.chance(0.7))
    return { k: 'str', v, src: v };
  return { k: 'str', v, src: yamlQuote(rng, v) };
}

export function randLeaf(rng: Rng, format: 'yaml' | 'json'): Leaf {
  const r = rng.next();
  if (r < 0.42) return randString(rng, format);
  if (r < 0.62) return randInt(rng, format);
  if (r < 0.74) return leadingZeroFloat(randFloat(rng, format));
  if (r < 0.84) {
    const v = rng.chance(0.5);
    const src = format === 'yaml' ? rng.pick(v ? ['true', 'True', 'TRUE'] : ['false', 'False', 'FALSE']) : String(v);
    return { k: 'bool', v, src };
  }
  if (r < 0.92) return { k: 'null', src: format === 'yaml' ? rng.pick(['null', '~', 'Null', 'NULL', '']) : 'null' };
  if (format === 'yaml') return fixTimeFrac(randTime(rng));
  return randString(rng, format);
}
