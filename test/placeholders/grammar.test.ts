/**
 * The placeholder tokenizer: every form (scheme, AVP inline, generic), versions,
 * modifiers with arguments, jsonPath braces holding `|` and `>`, whitespace rules,
 * several placeholders in one string, text that only looks like a placeholder
 * (`<none>`, HTML, `a < b`), and syntax errors that name the placeholder.
 */

import { describe, expect, it } from 'vitest';
import { PlaceholderSyntaxError } from '../../src/errors.js';
import { type Placeholder, type Segment, tokenize } from '../../src/placeholders/grammar.js';

const only = (segments: Segment[]): Placeholder => {
  expect(segments).toHaveLength(1);
  const [p] = segments;
  if (typeof p === 'string' || p === undefined) throw new Error('not a placeholder');
  return p;
};

describe('scheme placeholders', () => {
  it.each([
    ['<vault:secret/app#password>', { scheme: 'vault', path: 'secret/app', key: 'password' }],
    ['<vault:secret/app#password#3>', { scheme: 'vault', path: 'secret/app', key: 'password', version: '3' }],
    ['<sops:secrets/db.enc.yaml#db.password>', { scheme: 'sops', path: 'secrets/db.enc.yaml', key: 'db.password' }],
    ['<k8s:prod/db-creds#user>', { scheme: 'k8s', path: 'prod/db-creds', key: 'user' }],
    ['<env:DB_PASSWORD>', { scheme: 'env', path: 'DB_PASSWORD' }],
    ['<memory:app#k>', { scheme: 'memory', path: 'app', key: 'k' }],
    ['<vault:secret/app>', { scheme: 'vault', path: 'secret/app' }],
    ['< vault: secret/app # password >', { scheme: 'vault', path: 'secret/app', key: 'password' }],
  ])('%s', (text, ref) => {
    expect(only(tokenize(text))).toEqual({ text, ref, modifiers: [] });
  });

  it("AVP's <path:…>: the vault backend, path kept as written, key trimmed", () => {
    expect(only(tokenize('<path:secret/data/app#user #2>')).ref).toEqual({
      scheme: 'vault',
      path: 'secret/data/app',
      key: 'user',
      version: '2',
      avp: true,
    });
    expect(only(tokenize('<path:arn:aws:secretsmanager:eu-west-1:1:secret:x#k>')).ref.path).toBe(
      'arn:aws:secretsmanager:eu-west-1:1:secret:x',
    );
  });
});

describe('modifiers', () => {
  it('reads names and arguments, with spaces around the pipes', () => {
    const p = only(tokenize('<vault:s#data | jsonPath {.a.b} |base64encode|  indent 4 >'));
    expect(p.modifiers).toEqual([
      { name: 'jsonPath', argument: '{.a.b}' },
      { name: 'base64encode', argument: '' },
      { name: 'indent', argument: '4' },
    ]);
  });

  it('a jsonPath filter may hold | and > inside braces', () => {
    const p = only(tokenize('<vault:s#list | jsonPath {.items[?(@.n > 2)].a|b}>'));
    expect(p.modifiers).toEqual([{ name: 'jsonPath', argument: '{.items[?(@.n > 2)].a|b}' }]);
  });

  it('quoted text in a jsonPath template is literal: braces, | and > in quotes do not count', () => {
    const template = `{'['}{range .p[*]}{'{"port":'}{@}{'},'}{end}{'>|}'}`;
    const p = only(tokenize(`< data | jsonPath ${template} | jsonParse >`, { scheme: 'vault', path: 's' }));
    expect(p.ref).toEqual({ scheme: 'vault', path: 's', key: 'data', avp: true });
    expect(p.modifiers).toEqual([
      { name: 'jsonPath', argument: template },
      { name: 'jsonParse', argument: '' },
    ]);
  });
});

describe('placeholders in longer text', () => {
  it('splits text and placeholders, keeping every character', () => {
    const segments = tokenize('jdbc://<vault:db#user>:<vault:db#pass>@host/<env:DB>?x=<y>');
    expect(segments.map((s) => (typeof s === 'string' ? s : s.text))).toEqual([
      'jdbc://',
      '<vault:db#user>',
      ':',
      '<vault:db#pass>',
      '@host/',
      '<env:DB>',
      '?x=<y>',
    ]);
  });

  it.each(['<none>', 'a < b and c > d', '<b>bold</b>', 'List<String>', '<<EOF', 'x <= 3', '<unknown:thing>'])(
    'leaves %s alone without a path annotation',
    (text) => {
      expect(tokenize(text)).toEqual([text]);
    },
  );

  it('generic <key> placeholders only with a path annotation', () => {
    const generic = { scheme: 'vault', path: 'secret/data/app', version: '4' };
    expect(tokenize('<password>')).toEqual(['<password>']);
    const p = only(tokenize('<password | base64encode>', generic));
    expect(p.ref).toEqual({ scheme: 'vault', path: 'secret/data/app', key: 'password', version: '4', avp: true });
    expect(tokenize('<a b c>', generic)).toEqual(['<a b c>']);
  });
});

describe('syntax errors', () => {
  it.each([
    ['<vault:secret/app#password', "no closing '>'"],
    ['<vault:#k>', 'the path is empty'],
    ['<path:secret/app>', 'needs a key'],
    ['<vault:a#b#c#d>', "too many '#'"],
    ['<vault:a##v>', 'an empty key or version'],
    ['<vault:a#b | 9bad>', 'is not a modifier'],
  ])('%s', (text, message) => {
    expect(() => tokenize(text)).toThrow(PlaceholderSyntaxError);
    expect(() => tokenize(text)).toThrow(message);
  });
});

describe('scan cost', () => {
  it("a value with many '<' before '{' is refused in linear time instead of scanned for ever", () => {
    const started = performance.now();
    expect(() => tokenize('<{'.repeat(1_000_000))).toThrow("too many '<' before '{'");
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('ordinary text with many < and { still tokenizes', () => {
    const html = '<div class="x">{{ a }}</div> <vault:secret/app#k> if a < b { c }\n'.repeat(2000);
    const segments = tokenize(html);
    expect(segments.filter((s) => typeof s !== 'string')).toHaveLength(2000);
    expect(segments.map((s) => (typeof s === 'string' ? s : s.text)).join('')).toBe(html);
  });
});
