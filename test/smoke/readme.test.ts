/**
 * The README's first command — the main job on the embedded default, no Vault — is
 * what this test runs: the keyward part of its first line renders the example app
 * from the SOPS-encrypted examples/secrets.enc.yaml with the shipped throwaway age key,
 * exactly as test/fixtures/examples-app.out.yaml shows. The second line is the test command.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyward, REPO } from '../helpers/proc.js';

const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
const block = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
const [main = '', tests = ''] = block.trim().split('\n');

describe('README commands', () => {
  it('the first line sets up and runs render on the example app; the second runs the tests', () => {
    expect(main).toMatch(/^npm ci && npm run build && SOPS_AGE_KEY_FILE=(\S+) npx keyward (render .+)$/);
    expect(tests).toBe('npm ci && npm test');
  });

  it("the first line's keyward command prints the example app's manifests", async () => {
    const [, keyFile = '', command = ''] = /SOPS_AGE_KEY_FILE=(\S+) npx keyward (.+)$/.exec(main) ?? [];
    const res = await keyward(command.split(' '), { clean: true, env: { SOPS_AGE_KEY_FILE: keyFile } });
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toBe(readFileSync(join(REPO, 'test', 'fixtures', 'examples-app.out.yaml'), 'utf8'));
    expect(res.stdout).toContain('password: correct-horse-battery-staple');
  });
});
