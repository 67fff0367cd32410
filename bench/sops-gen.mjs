// Deterministic YAML inputs for bench/sops.sh: nested maps and lists with mixed scalar
// types (strings, ints, floats, bools, timestamps-as-strings, multi-line strings).
// Usage: node bench/sops-gen.mjs small|large <out.yaml>
//   small: ~1 KB, a few dozen leaves
//   large: ~5 MB, ~50,000 leaves
// Same bytes on every run (seeded PRNG, no Date/Math.random).
import { writeFileSync } from 'node:fs';

const [kind, out] = process.argv.slice(2);
if (!['small', 'large'].includes(kind) || !out) {
  console.error('usage: node bench/sops-gen.mjs small|large <out.yaml>');
  process.exit(2);
}

// mulberry32
let seed = kind === 'small' ? 0x5eed1 : 0x5eed5;
function rnd() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n) => Math.floor(rnd() * n);
const pick = (a) => a[int(a.length)];

const words = (
  'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november ' +
  'oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu'
).split(' ');
const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const token = (n) => Array.from({ length: n }, () => alnum[int(alnum.length)]).join('');
const sentence = (n) => Array.from({ length: n }, () => pick(words)).join(' ');

// One scalar leaf as YAML text (plain style that sops and yaml.v3 read back as the same type).
function scalar(avgLen) {
  const r = rnd();
  if (r < 0.14) return String(int(100000));
  if (r < 0.22) return String(-int(5000));
  if (r < 0.3) return (int(1000000) / 1000).toFixed(3);
  if (r < 0.38) return rnd() < 0.5 ? 'true' : 'false';
  if (r < 0.45)
    return `"2026-${String(1 + int(12)).padStart(2, '0')}-${String(1 + int(28)).padStart(2, '0')}T0${int(10)}:00:00Z"`;
  if (r < 0.75) return token(Math.max(4, avgLen + int(20) - 10));
  return `'${sentence(Math.max(1, Math.round(avgLen / 7) + int(4) - 2))}'`;
}

const lines = [];
let leaves = 0;
function leaf(prefix, avgLen, indent) {
  leaves++;
  if (rnd() < 0.01) {
    // literal block scalar
    lines.push(`${prefix}|`);
    for (let i = 0; i < 3; i++) lines.push(`${' '.repeat(indent + 4)}${sentence(6)}`);
    return;
  }
  lines.push(`${prefix}${scalar(avgLen)}`);
}

// map with `keys` entries at `indent`; depth controls nesting
function map(indent, keys, depth, avgLen) {
  const pad = ' '.repeat(indent);
  for (let k = 0; k < keys; k++) {
    const key = `${pick(words)}_${k}`;
    const r = rnd();
    if (depth > 0 && r < 0.25) {
      lines.push(`${pad}${key}:`);
      map(indent + 4, 2 + int(6), depth - 1, avgLen);
    } else if (depth > 0 && r < 0.35) {
      lines.push(`${pad}${key}:`);
      list(indent + 4, 1 + int(5), depth - 1, avgLen);
    } else {
      leaf(`${pad}${key}: `, avgLen, indent);
    }
  }
}

function list(indent, items, depth, avgLen) {
  const pad = ' '.repeat(indent);
  for (let i = 0; i < items; i++) {
    if (depth > 0 && rnd() < 0.4) {
      // list of maps: first key on the dash line
      const sub = [];
      const saved = lines.length;
      map(indent + 2, 2 + int(4), depth - 1, avgLen);
      sub.push(...lines.splice(saved));
      lines.push(`${pad}- ${sub[0].slice(indent + 2)}`, ...sub.slice(1));
    } else {
      leaf(`${pad}- `, avgLen, indent);
    }
  }
}

if (kind === 'small') {
  lines.push('# small benchmark input');
  map(0, 9, 2, 14);
} else {
  lines.push('# large benchmark input');
  for (let s = 0; leaves < 50000; s++) {
    lines.push(`service_${s}:`);
    map(4, 12, 3, 125);
  }
}
const text = `${lines.join('\n')}\n`;
writeFileSync(out, text);
console.error(`${kind}: ${out} ${text.length} bytes, ${leaves} leaves`);
