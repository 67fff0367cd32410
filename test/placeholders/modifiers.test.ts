/**
 * AVP's seven modifiers and the JSONPath subset behind `jsonPath`: results as AVP
 * gives them (indent's trimming, jsonPath printing text raw and maps as JSON),
 * typed results from jsonParse / yamlParse, and errors that never hold the value.
 */

import { describe, expect, it } from 'vitest';
import { PlaceholderSyntaxError } from '../../src/errors.js';
import { applyModifiers, checkModifiers } from '../../src/placeholders/modifiers.js';

const run = (value: unknown, ...calls: [string, string?][]) =>
  applyModifiers(
    value,
    calls.map(([name, argument = '']) => ({ name, argument })),
  );
const SECRET = 'canary-s3cr3t';

describe('modifiers', () => {
  it('base64encode / base64decode', () => {
    expect(run('héllo', ['base64encode'])).toBe('aMOpbGxv');
    expect(run('aMOpbGxv', ['base64decode'])).toBe('héllo');
    expect(() => run(`${SECRET}!`, ['base64decode'])).toThrow('base64decode: the value is not base64');
  });

  it('sha256sum', () => {
    expect(run('abc', ['sha256sum'])).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('jsonParse and yamlParse give typed values', () => {
    expect(run('{"a":[1,true,null]}', ['jsonParse'])).toEqual({ a: [1, true, null] });
    expect(run('a: 1\nb: [x, y]\n', ['yamlParse'])).toEqual({ a: 1, b: ['x', 'y'] });
    expect(() => run(`{${SECRET}`, ['jsonParse'])).toThrow('jsonParse: the value is not JSON');
  });

  it("indent trims lines, drops empty ones and indents all but the first (AVP's rule)", () => {
    expect(run('  first\n  second\n\nthird  \n', ['indent', '4'])).toBe('first\n    second\n    third\n');
    expect(run('one', ['indent', '2'])).toBe('one');
    expect(() => run('x', ['indent', 'two'])).toThrow('indent: needs one whole number');
  });

  it('chains left to right', () => {
    expect(run('{"db":{"user":"app"}}', ['jsonPath', '{.db.user}'], ['base64encode'])).toBe('YXBw');
  });

  it('rejects a wrong input type or stray argument without showing the value', () => {
    for (const call of [['base64encode'], ['sha256sum'], ['indent', '2']] as [string, string?][]) {
      const error = (() => {
        try {
          run({ secret: SECRET }, call);
        } catch (err) {
          return err as Error;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(PlaceholderSyntaxError);
      expect(error?.message).toContain('expects text, got a object');
      expect(error?.message).not.toContain(SECRET);
    }
    expect(() => run('x', ['sha256sum', 'extra'])).toThrow('sha256sum: takes no arguments');
  });

  it('an unknown modifier is found before anything is read', () => {
    expect(() => checkModifiers([{ name: 'upper', argument: '' }], '<vault:a#b | upper>')).toThrow(
      '<vault:a#b | upper>: invalid modifier upper',
    );
  });
});

describe('jsonPath', () => {
  const doc = JSON.stringify({
    name: 'app',
    port: 5432,
    on: true,
    labels: { 'app.kubernetes.io/name': 'web', tier: 'db' },
    items: [
      { kind: 'Secret', n: 1, name: 'a' },
      { kind: 'ConfigMap', n: 3, name: 'b' },
      { kind: 'Secret', n: 5, name: 'c', extra: { name: 'deep' } },
    ],
  });
  it.each([
    ['{.name}', 'app'],
    ['{$.port}', '5432'],
    ['{.on}', 'true'],
    ["{.labels['app.kubernetes.io/name']}", 'web'],
    ['{.items[0].name}', 'a'],
    ['{.items[-1].name}', 'c'],
    ['{.items[*].name}', 'a b c'],
    ['{.items[?(@.kind=="Secret")].name}', 'a c'],
    ['{.items[?(@.n > 2)].name}', 'b c'],
    ['{.items[?(@.extra)].name}', 'c'],
    ['{..name}', 'app a b c deep'],
    ['{.labels}', '{"app.kubernetes.io/name":"web","tier":"db"}'],
    ['user={.name}:{.port}', 'user=app:5432'],
  ])('%s', (expr, expected) => {
    expect(run(doc, ['jsonPath', expr])).toBe(expected);
  });

  it('a missing key or a value that is not JSON is an error', () => {
    expect(() => run(doc, ['jsonPath', '{.nope}'])).toThrow('nope is not found');
    expect(() => run(SECRET, ['jsonPath', '{.a}'])).toThrow('jsonPath: the value is not JSON');
    expect(() => run({ a: 1 }, ['jsonPath', '{.a'])).toThrow("unclosed '{'");
  });
});
