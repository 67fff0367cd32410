/**
 * Strings that start with U+FEFF, against the real sops 3.13.2: keyward decrypts sops's
 * file (the value is not stripped, so the MAC holds) and prints the same bytes sops
 * prints (yaml.v3 then escapes every character of the string); sops decrypts keyward's.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyward, REPO, run, tempDir } from '../helpers/proc.js';
import { toolPath } from '../rig/paths.js';

const dir = tempDir();
const KEY = join(REPO, 'examples', 'dev-age-key.txt');
const RECIPIENT = 'age1yu4nfhg3d2a6c70vjs00qhteptwdp82hseryqk4g02xxlufy998q9dcl04';
const opts = { env: { SOPS_AGE_KEY_FILE: KEY, SOPS_CONFIG: '/dev/null', SOPS_DISABLE_VERSION_CHECK: '1' } };
const sops = (args: readonly string[]) => run(toolPath('sops'), args, opts);

describe('a string starting with a byte order mark', () => {
  it('decrypts and encrypts to the same bytes as sops, both ways', async () => {
    const plain = join(dir, 'bom.yaml');
    const keys = 'a: "\\ufeffhello"\nb: "x\\ufeffyz"\nc: "\\ufeffé w\\u00e9 \\u00a0"\nd: "\\ufeff"\n';
    writeFileSync(plain, `${keys}f: "\\ufeff a\\"b\\\\c"\ng: "\\ufeff\\n2"\nh: "\\ufeff\\U0001F600"\n`);
    const theirs = await sops(['encrypt', '--age', RECIPIENT, plain]);
    const ours = await keyward(['encrypt', '--age', RECIPIENT, plain], opts);
    expect([theirs.code, ours.code]).toEqual([0, 0]);
    writeFileSync(join(dir, 'theirs.enc.yaml'), theirs.stdout);
    writeFileSync(join(dir, 'ours.enc.yaml'), ours.stdout);
    for (const file of ['theirs.enc.yaml', 'ours.enc.yaml']) {
      const expected = await sops(['decrypt', join(dir, file)]);
      const got = await keyward(['decrypt', join(dir, file)], opts);
      expect(expected.code).toBe(0);
      expect(got).toMatchObject({ code: 0, stdout: expected.stdout });
    }
  });
});
