/**
 * The fast YAML reader must give exactly the full reader's tree for every file it
 * takes, and give up (undefined) on everything else. Checked on hand-picked shapes,
 * on random documents from the interop generator (as written, and re-emitted
 * without comments at several indents, as sops files usually are), on real sops
 * files, and on tens of thousands of small mutations of files it takes.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitYaml, parseYamlFull } from '../../src/sops/stores/yaml.js';
import { parseYamlFast } from '../../src/sops/stores/yaml-fast.js';
import type { MapNode, Node } from '../../src/sops/tree.js';
import { CONFORMANCE, REPO } from '../helpers/proc.js';
import { Rng } from '../interop/gen/rng.js';
import { generateCase } from '../interop/generate.js';

/** The full reader's documents, or the error text when it refuses the file. */
function full(source: string): MapNode[] | string {
  try {
    return parseYamlFull(source);
  } catch (err) {
    return String(err);
  }
}

/** Checks one source; returns whether the fast reader took it. */
function agrees(source: string): boolean {
  const fast = parseYamlFast(source);
  if (fast === undefined) return false;
  expect(fast, JSON.stringify(source)).toEqual(full(source));
  return true;
}

function withoutComments(node: Node): Node {
  if (node.t === 'map') {
    return {
      t: 'map',
      items: node.items.flatMap((i) => ('t' in i ? [] : [{ key: i.key, value: withoutComments(i.value) }])),
    };
  }
  if (node.t === 'seq') return { t: 'seq', items: node.items.filter((i) => i.t !== 'comment').map(withoutComments) };
  return node;
}

describe('fast YAML reader', () => {
  it('reads the shapes sops writes, exactly as the full reader does', () => {
    const taken = [
      'a: 1\nb: x\n',
      'a:\n    b:\n        - 1\n        - two\n        - c: 3\n          d: ok\n',
      'a:\n- 1\n- 2\nb: 3\n',
      'a:\n\n- 1\n\n- 2\nb:\n\n    c: 3\n',
      'l:\n    - - a\n      - b\n    - []\n    - {}\n    -\n    - ~\n',
      's: "tab\\there \\U0001F600 \\x41 \\"q\\""\nt: \'it\'\'s\'\n"quoted key": -5\n',
      'k: |\n    line 1\n\n    line 3\nk2: |-\n    x\nk3: |+\n    y\n\n\nlast: ENC[AES256_GCM,data:YQ==,iv:x,tag:y,type:str]\n',
      'sops:\n    age:\n        - recipient: age1xyz\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            YWdl\n            -----END AGE ENCRYPTED FILE-----\n    lastmodified: "2024-01-01T00:00:00Z"\n    version: 3.13.2\n',
      '# head\n\na: 1\n# before b\nb:\n    # first\n    c: 1\n    # second\n    d:\n        # item\n        - x\n        #\n        - y\n#ENC[AES256_GCM,data:YQ==,iv:x,tag:y,type:comment]\ne: 2\n',
      'a: 1 # same line\nb: "q"   #\nc:\n    - x #c\n    - k: v # in a list\n      l: \'s\' # quoted\nurl: a#b\n',
      'n: null\nt: true\nf: 1.5\nd: 2001-12-14\nh: 0x1F\ne:\nu: 1_000\ncolon: a:b\nurl: http://x/y#z\n',
    ];
    for (const source of taken) expect(agrees(source), source).toBe(true);
  });

  it('gives up on what only the full reader knows', () => {
    const declined = [
      'a: # comment before a nested block\n    b: 1\n',
      'a: | # header comment\n    x\n',
      'a: 1\n# tail\n',
      'a:\n    b: 1\n  # between columns\nc: 2\n',
      'l:\n- x\n# in an indentless list\n- y\n',
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      'a: {b: 1}\n',
      'a: >\n  folded\n',
      'a: plain\n  continued\n',
      'a: "two\n  lines"\n',
      'a: 1\n---\nb: 2\n',
      'a: 1\na: 2\n',
      '1: x\n',
      '- a\n',
      'a: 1',
      'a:\tb\n',
      'a: |2\n   x\n',
      'a: "\\uD800"\n',
      '? a\n: b\n',
      'a: b: c\n',
    ];
    for (const source of declined) expect(parseYamlFast(source), source).toBeUndefined();
  });

  it('agrees with the full reader on 1,500 random documents and their comment-free forms', () => {
    let taken = 0;
    for (let i = 0; i < 500; i++) {
      const source = generateCase('yaml', 0x5eed, i).plain.toString('utf8');
      if (agrees(source)) taken++;
      const docs = full(source);
      if (typeof docs === 'string') continue;
      const bare = docs.map((d) => withoutComments(d) as MapNode);
      for (const indent of [2, 4]) if (agrees(emitYaml(bare, { indent }))) taken++;
    }
    expect(taken).toBeGreaterThan(800);
  });

  it('agrees with the full reader on real sops files', () => {
    const dirs = [CONFORMANCE, join(REPO, 'examples')];
    for (const dir of dirs) {
      for (const name of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n))) {
        agrees(readFileSync(join(dir, name), 'utf8'));
      }
    }
    expect(agrees(readFileSync(join(REPO, 'examples', 'secrets.enc.yaml'), 'utf8'))).toBe(true);
  });

  it('agrees with the full reader (or gives up) on 30,000 one- and two-character mutations', () => {
    const rng = new Rng(0xfa57);
    const seeds: string[] = [readFileSync(join(REPO, 'examples', 'secrets.enc.yaml'), 'utf8')];
    for (let i = 0; i < 40; i++) {
      const plain = generateCase('yaml', 0xab, i).plain.toString('utf8');
      const docs = full(plain);
      if (typeof docs !== 'string') seeds.push(plain, emitYaml(docs.map((d) => withoutComments(d) as MapNode)));
    }
    const pieces = [
      ' ',
      '  ',
      ':',
      ': ',
      '-',
      '- ',
      '|',
      '|-',
      '"',
      "'",
      '\n',
      '\n ',
      '[',
      ']',
      '{}',
      'x',
      '0',
      '\\',
      '~',
    ];
    let taken = 0;
    for (let n = 0; n < 30_000; n++) {
      let source = rng.pick(seeds);
      for (let edits = rng.range(1, 2); edits > 0; edits--) {
        const at = rng.int(source.length);
        const cut = rng.int(3);
        source = source.slice(0, at) + (rng.chance(0.7) ? rng.pick(pieces) : '') + source.slice(at + cut);
      }
      if (agrees(source)) taken++;
    }
    expect(taken).toBeGreaterThan(5_000);
  });
});
