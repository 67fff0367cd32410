/**
 * Where keyward's YAML output deliberately differs from sops 3.13.2: the three
 * cases in which sops writes a file that loses data or that it cannot read back.
 * Each test shows the sops failure on its own file, then that keyward's file keeps
 * the data and that sops decrypts it. The property tests leave these inputs out.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyward, REPO, run, tempDir } from '../helpers/proc.js';
import { toolPath } from '../rig/paths.js';

const dir = tempDir();
const KEY = join(REPO, 'examples', 'dev-age-key.txt');
const RECIPIENT = 'age1yu4nfhg3d2a6c70vjs00qhteptwdp82hseryqk4g02xxlufy998q9dcl04';
const opts = { env: { SOPS_AGE_KEY_FILE: KEY, SOPS_CONFIG: '/dev/null', SOPS_DISABLE_VERSION_CHECK: '1' } };
const sops = (args: readonly string[]) => run(toolPath('sops'), args, opts);

/** Encrypts `text` with both tools; returns the two encrypted files. */
async function encryptBoth(name: string, text: string): Promise<{ theirs: string; ours: string }> {
  const plain = join(dir, `${name}.yaml`);
  writeFileSync(plain, text);
  const theirs = join(dir, `${name}.sops.yaml`);
  const ours = join(dir, `${name}.keyward.yaml`);
  const s = await sops(['encrypt', '--age', RECIPIENT, plain]);
  expect(s.code).toBe(0);
  writeFileSync(theirs, s.stdout);
  const k = await keyward(['encrypt', '--age', RECIPIENT, plain], opts);
  expect(k.stderr).toBe('');
  writeFileSync(ours, k.stdout);
  return { theirs, ours };
}

describe('YAML cases where keyward differs from sops on purpose', () => {
  it('comments inside a list: sops writes them as list items and fails its own MAC; keyward keeps comments', async () => {
    const text = 'l:\n    # before the first item\n    - a\n    # between items\n    - b\nz: 1\n';
    const { theirs, ours } = await encryptBoth('list-comments', text);
    expect(readFileSync(theirs, 'utf8')).toMatch(/^ {4}- ENC\[AES256_GCM,[^\]]*type:comment\]$/m);
    expect((await sops(['decrypt', theirs])).code).toBe(51);
    expect((await keyward(['decrypt', theirs], opts)).code).toBe(51);
    // with --ignore-mac both read those items back as comments
    const ignored = await sops(['decrypt', '--ignore-mac', theirs]);
    expect((await keyward(['decrypt', '--ignore-mac', theirs], opts)).stdout).toBe(ignored.stdout);
    expect(readFileSync(ours, 'utf8')).toMatch(/^ {4}#ENC\[AES256_GCM,[^\]]*type:comment\]$/m);
    const bySops = await sops(['decrypt', ours]);
    expect(bySops.code).toBe(0);
    expect(bySops.stdout).toBe(text);
    expect((await keyward(['decrypt', ours], opts)).stdout).toBe(text);
  });

  it('a multi-line string starting with a tab: sops writes null; keyward keeps it quoted', async () => {
    const text = 'b: "\\ta\\nb"\n';
    const { theirs, ours } = await encryptBoth('leading-tab', text);
    expect((await sops(['decrypt', theirs])).stdout).toBe('b: null\n');
    expect((await keyward(['decrypt', ours], opts)).stdout).toBe(text);
    const json = await sops(['decrypt', '--output-type', 'json', ours]);
    expect(JSON.parse(json.stdout)).toEqual({ b: '\ta\nb' });
  });

  it('a list item starting with a line break: sops writes a `|4-` block it cannot read; keyward quotes it', async () => {
    const text = 'l_unencrypted:\n    - "\\nx"\n';
    const { theirs, ours } = await encryptBoth('hint-in-list', text);
    expect(readFileSync(theirs, 'utf8')).toContain('    - |4-\n');
    const failed = await sops(['decrypt', theirs]);
    expect(failed.code).not.toBe(0);
    expect(readFileSync(ours, 'utf8')).toContain('    - "\\nx"\n');
    const bySops = await sops(['decrypt', '--output-type', 'json', ours]);
    expect(bySops.code).toBe(0);
    expect(JSON.parse(bySops.stdout)).toEqual({ l_unencrypted: ['\nx'] });
    expect((await keyward(['decrypt', ours], opts)).stdout).toBe(text);
  });
});
