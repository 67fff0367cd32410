/**
 * keyward render next to the real argocd-vault-plugin v1.18.1 `generate`, on AVP's own
 * input fixtures (from its module, copied into the rig by install.sh) and the same
 * Vault: generic `<key>` placeholders with the path annotation, inline `<path:…>`
 * ones, versions and the secret-version annotation, KV v1 and v2, Secret data that is
 * base64 of placeholders (whole or part), the ignore and remove-missing annotations,
 * all seven modifiers with Kubernetes JSONPath templates, JSON input and stdin. Each
 * file, and the whole folder, must give the same manifests from both tools (compared
 * as data: AVP sorts keys, keyward keeps their order). Where keyward differs on
 * purpose, the test says why and checks keyward's behaviour.
 */

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type AvpVault, startAvpVault } from '../helpers/avp-vault.js';
import { keyward, type Ran, run, tempDir } from '../helpers/proc.js';
import { AVP_FIXTURES, toolPath } from '../rig/paths.js';

const INPUT = join(AVP_FIXTURES, 'input');
const NONEMPTY = join(INPUT, 'nonempty');
const files = readdirSync(NONEMPTY).sort();
/** What keyward says on stderr where AVP is silent: a version asked of a KV v1 mount, which AVP ignores. */
const WARNINGS: Readonly<Record<string, string>> = {
  'secret_path.yaml': 'keyward: warning: vault: secret/testing is on a KV version 1 mount, which keeps no versions',
};
const dir = tempDir();
let vault: AvpVault;

const env = () => ({
  clean: true,
  env: { VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.token, AVP_TYPE: 'vault', AVP_AUTH_TYPE: 'token' },
});
const avp = (args: string[], input?: string): Promise<Ran> =>
  run(toolPath('argocd-vault-plugin'), ['generate', ...args], { ...env(), ...(input ? { input } : {}) });
const render = (args: string[], input?: string): Promise<Ran> =>
  keyward(['render', ...args], { ...env(), ...(input ? { input } : {}) });

/** The manifests of a YAML stream, as data, without empty documents. */
function manifests(stream: string): unknown[] {
  return parseAllDocuments(stream)
    .map((doc) => doc.toJS() as unknown)
    .filter((doc) => doc !== null && doc !== undefined);
}

/** The manifests a run printed, in a fixed order (AVP orders a folder's files its own way). */
function sorted(stream: string): unknown[] {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : typeof v === 'object' && v !== null
        ? Object.fromEntries(
            Object.entries(v)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([k, x]) => [k, canonical(x)]),
          )
        : v;
  const key = (m: unknown) => JSON.stringify(canonical(m));
  return manifests(stream).sort((a, b) => key(a).localeCompare(key(b)));
}

beforeAll(async () => {
  vault = await startAvpVault(dir);
}, 90_000);

afterAll(async () => {
  await vault?.stop();
});

describe('render matches argocd-vault-plugin on its own fixtures', () => {
  it('finds them', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
  });

  it.each(files.filter((f) => f !== 'excluded.yaml'))('%s', async (file) => {
    const [ours, theirs] = await Promise.all([render([join(NONEMPTY, file)]), avp([join(NONEMPTY, file)])]);
    expect(theirs).toMatchObject({ code: 0, stderr: '' });
    const warning = WARNINGS[file];
    if (warning) expect(ours.stderr).toContain(warning);
    else expect(ours.stderr).toBe('');
    expect(ours.code).toBe(0);
    expect(manifests(ours.stdout)).toEqual(manifests(theirs.stdout));
  });

  it('the whole folder, and a file on stdin', async () => {
    const [ours, theirs] = await Promise.all([render([NONEMPTY]), avp([NONEMPTY])]);
    expect(theirs.code).toBe(0);
    expect(ours.code).toBe(0);
    expect(sorted(ours.stdout)).toEqual(sorted(theirs.stdout));
    const full = join(NONEMPTY, 'full.yaml');
    const input = (await run('cat', [full])).stdout;
    const [oursIn, theirsIn] = await Promise.all([render(['-'], input), avp(['-'], input)]);
    expect(oursIn).toMatchObject({ code: 0, stderr: '' });
    expect(manifests(oursIn.stdout)).toEqual(manifests(theirsIn.stdout));
  });

  it('on purpose: a file of comments only is an error, where AVP prints nothing and succeeds', async () => {
    // an empty render would let Argo CD prune the app's resources (issue 5 and design/argocd-avp-vals.md)
    const file = join(NONEMPTY, 'excluded.yaml');
    const theirs = await avp([file]);
    expect(theirs).toMatchObject({ code: 0 });
    expect(manifests(theirs.stdout)).toEqual([]);
    const ours = await render([file]);
    expect(ours).toMatchObject({ code: 8, stdout: '' });
    expect(ours.stderr).toContain('the input holds no manifests');
    expect(await render(['--allow-empty', file])).toMatchObject({ code: 0, stdout: '' });
  });

  it('both refuse YAML that does not parse, printing nothing', async () => {
    const file = join(INPUT, 'invalid.yaml');
    const [ours, theirs] = await Promise.all([render([file]), avp([file])]);
    expect(theirs.code).not.toBe(0);
    expect(ours).toMatchObject({ code: 2, stdout: '' });
  });
});
