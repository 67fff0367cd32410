/**
 * `keyward render` against golden manifests (test/fixtures/render/NN-*.in.* →
 * NN-*.out.yaml), with secrets from the memory backend (test/fixtures/render-secrets.json)
 * and the example SOPS file:
 * inline and generic placeholders, versions, types, modifiers, Secret data and
 * ConfigMap rules, annotations, JSON input, `<sops:…>` and SOPS-encrypted sources.
 * Then the failure paths: every failure reported with its location, exit non-zero,
 * nothing on stdout, and a canary secret never in stderr.
 */

import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEV_AGE_KEY } from '../helpers/keys.js';
import { keyward, REPO, tempDir } from '../helpers/proc.js';

const FIXTURES = join(REPO, 'test', 'fixtures', 'render');
const CANARY = 'canary-3b1f9c0e-render';
const secrets = JSON.parse(readFileSync(join(REPO, 'test', 'fixtures', 'render-secrets.json'), 'utf8')) as Record<
  string,
  unknown
>;
const env = (extra: Record<string, unknown> = {}) => ({
  clean: true,
  env: {
    SOPS_AGE_KEY_FILE: DEV_AGE_KEY,
    KEYWARD_MEMORY_SECRETS: JSON.stringify({ ...secrets, canary: { value: CANARY }, ...extra }),
  },
});
const cases = readdirSync(FIXTURES).filter((f) => /\.in\.(ya?ml|json)$/.test(f));
const dir = tempDir();

describe('render: golden manifests', () => {
  it.each(cases)('%s', async (input) => {
    const expected = readFileSync(join(FIXTURES, input.replace(/\.in\.\w+$/, '.out.yaml')), 'utf8');
    const res = await keyward(['render', join('test', 'fixtures', 'render', input)], env());
    expect(res.stderr).toBe('');
    expect(res).toMatchObject({ code: 0, stdout: expected });
  });

  it('a directory renders recursively in name order; stdin works too', async () => {
    // the inputs in a tree: the first half at the top, the rest in a sub-folder sorting after them
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'zz-more'), { recursive: true });
    for (const [i, c] of cases.entries()) copyFileSync(join(FIXTURES, c), join(tree, i < 4 ? '' : 'zz-more', c));
    writeFileSync(join(tree, 'notes.txt'), 'not a manifest <memory:nope#x>\n');
    const res = await keyward(['render', tree], env());
    expect(res.code).toBe(0);
    const expected = cases.map((c) => readFileSync(join(FIXTURES, c.replace(/\.in\.\w+$/, '.out.yaml')), 'utf8'));
    expect(res.stdout).toBe(expected.join('---\n'));
    const input = readFileSync(join(FIXTURES, '03-types.in.yaml'));
    const piped = await keyward(['render', '-'], { ...env(), input });
    expect(piped.stdout).toBe(readFileSync(join(FIXTURES, '03-types.out.yaml'), 'utf8'));
  });
});

describe('render: AVP_TYPE', () => {
  it("picks the backend of AVP's <path:…> and <key> forms; an unsupported type is an error", async () => {
    const file = join(dir, 'avp-sops.yaml');
    const annotations = '  annotations:\n    avp.kubernetes.io/path: examples/secrets.enc.yaml\n';
    writeFileSync(
      file,
      `kind: Secret\nmetadata:\n  name: s\n${annotations}stringData:\n  a: <path:examples/secrets.enc.yaml#api_token>\n  b: <api_token>\n`,
    );
    const res = await keyward(['render', file], {
      clean: true,
      env: { SOPS_AGE_KEY_FILE: DEV_AGE_KEY, AVP_TYPE: 'sops' },
    });
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toContain('a: tok_demo_0123456789abcdef\n  b: tok_demo_0123456789abcdef');
    const other = await keyward(['render', file], { clean: true, env: { AVP_TYPE: 'ibmsecretsmanager' } });
    expect(other).toMatchObject({ code: 1, stdout: '' });
    expect(other.stderr).toContain('AVP_TYPE "ibmsecretsmanager" is not supported (vault, sops)');
  });
});

describe('render: failing closed', () => {
  const manifest = (fields: string) =>
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: broken\nstringData:\n  ok: <memory:canary#value>\n${fields}`;

  it('every failure at once, with file, document and field; no stdout; no secret in stderr', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      manifest(
        [
          '  missingKey: <memory:canary#nope>',
          '  missingPath: <memory:nowhere#key>',
          '  badModifier: <memory:canary#value | shout>',
          '  notBase64: <memory:canary#value | base64decode>',
          '  noBackend: <vaultish:x#y> and <k9s:x#y>',
        ].join('\n'),
      ),
    );
    const res = await keyward(['render', file], env());
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain('4 placeholders could not be resolved; nothing was written');
    expect(res.stderr).toContain(
      `${file}, document 0, stringData.missingKey: <memory:canary#nope>: no key nope in memory:canary`,
    );
    expect(res.stderr).toContain('stringData.missingPath: <memory:nowhere#key>: memory:nowhere does not exist');
    expect(res.stderr).toContain('stringData.badModifier: <memory:canary#value | shout>: invalid modifier shout');
    expect(res.stderr).toContain('stringData.notBase64: base64decode: the value is not base64');
    expect(res.stderr).not.toContain(CANARY);
  });

  it('remove-missing on a kind other than Secret or ConfigMap is an error', async () => {
    const file = join(dir, 'deploy.yaml');
    const text =
      'kind: Deployment\nmetadata:\n  name: d\n  annotations:\n    avp.kubernetes.io/remove-missing: "true"\n';
    writeFileSync(file, text);
    const res = await keyward(['render', file], env());
    expect(res).toMatchObject({ code: 1, stdout: '' });
    expect(res.stderr).toContain('remove-missing is only allowed on a Secret or ConfigMap');
  });

  it('empty input is an error unless --allow-empty; a YAML syntax error names the file only', async () => {
    const empty = await keyward(['render', '-'], { ...env(), input: '' });
    expect(empty).toMatchObject({ code: 8, stdout: '' });
    expect(empty.stderr).toContain('the input holds no manifests');
    expect(await keyward(['render', '--allow-empty', '-'], { ...env(), input: '# nothing\n' })).toMatchObject({
      code: 0,
      stdout: '',
    });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, `password: "${CANARY}\nother: [unclosed\n`);
    const res = await keyward(['render', bad], env());
    expect(res).toMatchObject({ code: 2, stdout: '' });
    expect(res.stderr).toContain(`${bad}: document 0 is not valid YAML or JSON`);
    expect(res.stderr).not.toContain(CANARY);
    // an alias before its anchor: a clear error, not the yaml library's exception
    writeFileSync(bad, `kind: ConfigMap\ndata: *d\nother: &d\n  k: "${CANARY}"\n`);
    const alias = await keyward(['render', bad], env());
    expect(alias).toMatchObject({ code: 2, stdout: '' });
    expect(alias.stderr).toContain(`${bad}: document 0 uses the alias *d before its anchor`);
    expect(alias.stderr).not.toContain(CANARY);
  });

  it("the env backend refuses the renderer's own credentials", async () => {
    const file = join(dir, 'env.yaml');
    const names = ['VAULT_TOKEN', 'VAULT_SECRET_ID', 'VAULT_ROLE_ID', 'VAULT_PASSWORD', 'AVP_SECRET_ID'];
    const refs = names.map((name, i) => `  v${i}: <env:${name}>\n`).join('');
    writeFileSync(file, `kind: ConfigMap\ndata:\n  home: <env:HOME>\n${refs}`);
    const env = Object.fromEntries(names.map((name) => [name, CANARY]));
    const res = await keyward(['render', file], { clean: true, env });
    expect(res).toMatchObject({ code: 1, stdout: '' });
    for (const name of names) expect(res.stderr).toContain(`env: ${name} may not be read`);
    expect(res.stderr).not.toContain(CANARY);
  });
});
