/**
 * Kubernetes JSONPath templates behind the `jsonPath` modifier: slices (negative
 * bounds, steps), unions, quoted literals holding braces and quotes, `{range}…{end}`
 * with `@` and paths relative to the item, `$` for the whole input inside a range,
 * and clear errors for templates that do not close.
 */

import { describe, expect, it } from 'vitest';
import { jsonPath } from '../../src/placeholders/jsonpath-template.js';

const doc = {
  ports: [80, 8080, 9090],
  items: [
    { name: 'a', port: 1 },
    { name: 'b', port: 2 },
  ],
  title: 'list',
};

describe('jsonPath templates', () => {
  it.each([
    ['{.ports[0:2]}', '80 8080'],
    ['{.ports[1:]}', '8080 9090'],
    ['{.ports[:-1]}', '80 8080'],
    ['{.ports[0:-1:2]}', '80'],
    ['{.ports[::2]}', '80 9090'],
    ['{.ports[-2:]}', '8080 9090'],
    ['{.ports[5:9]}', ''],
    ['{.ports[0,2]}', '80 9090'],
    ["{.items[0]['name','port']}", 'a 1'],
    ["{'['}{.title}{']'}", '[list]'],
    [`{'{"a":'}{.ports[0]}{'}'}`, '{"a":80}'],
    ['{"x\\ty\\n"}', 'x\ty\n'],
    ['{range .items[*]}{.name}={.port};{end}', 'a=1;b=2;'],
    ['{range .items}{@.name},{end}', 'a,b,'],
    ['{range .ports[0:2]}<{@}>{end}', '<80><8080>'],
    ['{range .items[*]}{$.title}:{.name} {end}', 'list:a list:b '],
    ['{range .items[*]}{range $.ports[0:1]}{@}{end}{end}', '8080'],
  ])('%s', (template, expected) => {
    expect(jsonPath(template, doc)).toBe(expected);
  });

  it('a JSON list built with range, as argocd-vault-plugin documents it', () => {
    const template = `{'['}{range .ports[0:-1:1]}{'{"port":'}{@}{'},'}{end}{'{"port":'}{.ports[-1]}{'}]'}`;
    expect(JSON.parse(jsonPath(template, doc))).toEqual([{ port: 80 }, { port: 8080 }, { port: 9090 }]);
  });

  it('templates that do not close, or misuse range, are errors', () => {
    expect(() => jsonPath('{range .items[*]}{.name}', doc)).toThrow('{range} without {end}');
    expect(() => jsonPath('{.name}{end}', doc)).toThrow('{end} without {range}');
    expect(() => jsonPath("{'open}", doc)).toThrow("unclosed '{'");
    expect(() => jsonPath('{}', doc)).toThrow('an empty {}');
    expect(() => jsonPath('{.ports[0:2:0]}', doc)).toThrow('needs a positive step');
  });
});
