import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { emitYaml, parseYaml } from '../../src/sops/stores/yaml.js';
import { getEntry } from '../../src/sops/tree.js';

describe('YAML store', () => {
  it('keeps key order (integer-like keys stay in place) and types', () => {
    const [doc] = parseYaml('b: 1\n"10": x\na: "2"\n');
    expect(doc?.items.map((i) => ('key' in i ? i.key : '#'))).toEqual(['b', '10', 'a']);
    expect(doc && getEntry(doc, 'b')?.value).toEqual({ t: 'int', v: 1n });
    expect(doc && getEntry(doc, 'a')?.value).toEqual({ t: 'str', v: '2' });
  });

  it('round-trips nested maps, lists, block strings and comments', () => {
    const text = [
      '# top comment',
      'app:',
      '    name: demo',
      '    ports:',
      '        - 80',
      '        - 443',
      '    users:',
      '        - name: a',
      '          admin: true',
      '        - name: b',
      '          admin: false',
      '    cert: |',
      '        line one',
      '        line two',
      'empty_map: {}',
      'empty_list: []',
      'quoted: "true"',
      'nothing: null',
      '',
    ].join('\n');
    expect(emitYaml(parseYaml(text))).toBe(text);
  });

  it('reads multi-document streams and writes them back with ---', () => {
    const docs = parseYaml('a: 1\n---\nb: 2\n');
    expect(docs).toHaveLength(2);
    expect(emitYaml(docs)).toBe('a: 1\n---\nb: 2\n');
  });

  it('keeps an inline comment on its line', () => {
    expect(emitYaml(parseYaml('a: 1 # one\nb: 2\n'))).toBe('a: 1 # one\nb: 2\n');
  });

  it('expands aliases', () => {
    const out = emitYaml(parseYaml('base: &b\n    x: 1\ncopy: *b\n'));
    expect(out).toBe('base:\n    x: 1\ncopy:\n    x: 1\n');
  });

  it('rejects duplicate keys, non-string keys, top-level lists and empty files', () => {
    expect(() => parseYaml('a: 1\na: 2\n')).toThrow(/already defined/);
    expect(() => parseYaml('1: x\n')).toThrow(/non-string key/);
    expect(() => parseYaml('true: x\n')).toThrow(/non-string key/);
    expect(() => parseYaml('- a\n- b\n')).toThrow(FormatError);
    expect(() => parseYaml('')).toThrow(/completely empty/);
  });

  it('reports syntax errors without quoting the input', () => {
    try {
      parseYaml('password: "canary-secret\n  bad: [\n');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(FormatError);
      expect(String(err)).not.toContain('canary-secret');
    }
  });
});

describe('YAML store: hostile and unusual input', () => {
  it('stops alias bombs quickly', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    const names = 'abcdefghi';
    for (let i = 1; i < 9; i++) {
      const prev = names[i - 1];
      levels.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const started = Date.now();
    expect(() => parseYaml(`${levels.join('\n')}\n`)).toThrow(/excessive aliasing/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('rejects !!binary values that are not base64, and unknown YAML versions', () => {
    expect(() => parseYaml('a: !!binary "%%%"\n')).toThrow(/invalid base64/);
    expect(emitYaml(parseYaml('a: !!binary aGVsbG8=\n'))).toBe('a: hello\n');
    expect(() => parseYaml('%YAML 9.9\n---\na: 1\n')).toThrow(/incompatible YAML/);
  });

  it('writes characters outside the BMP as \\U escapes, like yaml.v3', () => {
    expect(emitYaml(parseYaml('k: "😀 x"\n"🔑": v\n'))).toBe('k: "\\U0001F600 x"\n"\\U0001F511": v\n');
  });
});
