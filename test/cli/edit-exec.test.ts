/**
 * `keyward edit`, `exec-env` and `exec-file` through the built CLI: the editor sees
 * a 0600 plaintext file in a private folder that is gone afterwards, only edited
 * values change, and exec commands get the secrets and pass their exit code on.
 */

import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEV_AGE_KEY, DEV_AGE_RECIPIENT } from '../helpers/keys.js';
import { keyward, REPO, run, tempDir } from '../helpers/proc.js';
import { toolPath } from '../rig/paths.js';

const dir = tempDir();
const EXAMPLE = join(REPO, 'examples', 'secrets.enc.yaml');
const key = { SOPS_AGE_KEY_FILE: DEV_AGE_KEY };

describe('keyward edit', () => {
  it('re-encrypts only what the editor changed; the plaintext file is private and removed', async () => {
    const file = join(dir, 'edit.enc.yaml');
    copyFileSync(EXAMPLE, file);
    const record = join(dir, 'editor-saw.txt');
    const editor = `sh -c 'stat -c "%a %n" "$0" "$(dirname "$0")" > ${record}; sed -i "s/username: app/username: admin/" "$0"'`;
    const res = await keyward(['edit', file], { env: { ...key, SOPS_EDITOR: editor } });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const [fileLine = '', dirLine = ''] = readFileSync(record, 'utf8').trim().split('\n');
    expect(fileLine.startsWith('600 ')).toBe(true);
    expect(dirLine.startsWith('700 ')).toBe(true);
    expect(existsSync(fileLine.slice(4))).toBe(false);
    const before = readFileSync(EXAMPLE, 'utf8').split('\n');
    const changed = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => !before.includes(l));
    expect(changed.map((l) => l.trim().split(':')[0]).sort()).toEqual(['lastmodified', 'mac', 'username']);
    const dec = await run(toolPath('sops'), ['decrypt', file], { env: key });
    expect(dec.stdout).toContain('username: admin');
  });

  it('exits 200 and leaves the file alone when nothing changed', async () => {
    const file = join(dir, 'same.enc.yaml');
    copyFileSync(EXAMPLE, file);
    const res = await keyward(['edit', file], { env: { ...key, SOPS_EDITOR: 'true' } });
    expect(res.code).toBe(200);
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(EXAMPLE, 'utf8'));
  });

  it('fails without writing when the edited file does not parse (no terminal to retry)', async () => {
    const file = join(dir, 'broken.enc.yaml');
    copyFileSync(EXAMPLE, file);
    const res = await keyward(['edit', file], { env: { ...key, SOPS_EDITOR: `sh -c 'echo "a: [" > "$0"'` } });
    expect(res.code).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(EXAMPLE, 'utf8'));
  });
});

describe('exec-env and exec-file', () => {
  const flat = join(dir, 'flat.enc.yaml');

  it('exec-env passes top-level values as variables and the exit code through', async () => {
    const plain = join(dir, 'flat.yaml');
    writeFileSync(plain, 'API_TOKEN: tok-123\nRETRIES: 3\nDEBUG: true\n');
    writeFileSync(flat, (await keyward(['encrypt', '--age', DEV_AGE_RECIPIENT, plain])).stdout);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    const res = await keyward(['exec-env', flat, 'echo "$API_TOKEN $RETRIES $DEBUG ${HOME:+home}"; exit 7'], {
      env: key,
    });
    expect(res.stdout).toBe('tok-123 3 true home\n');
    expect(res.code).toBe(7);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    const pristine = await keyward(['exec-env', '--pristine', flat, 'echo "${HOME:-none} $API_TOKEN"'], { env: key });
    expect(pristine.stdout).toBe('none tok-123\n');
  });

  it('exec-env refuses nested values without printing them', async () => {
    const res = await keyward(['exec-env', EXAMPLE, 'true'], { env: key });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/nested value/);
    expect(res.stderr).not.toContain('correct-horse');
  });

  it('exec-file hands over the decrypted file through a FIFO or a 0600 temp file, then removes it', async () => {
    const fifo = await keyward(['exec-file', flat, 'test -p {} && cat {}'], { env: key });
    expect(fifo.code).toBe(0);
    expect(fifo.stdout).toBe('API_TOKEN: tok-123\nRETRIES: 3\nDEBUG: true\n');
    const record = join(dir, 'exec-path.txt');
    const file = await keyward(
      [
        'exec-file',
        '--no-fifo',
        '--filename',
        'app.yaml',
        flat,
        `stat -c %a {} > ${record}; echo {} >> ${record}; grep -c tok-123 {}`,
      ],
      { env: key },
    );
    expect(file.stdout).toBe('1\n');
    const [mode, path = ''] = readFileSync(record, 'utf8').trim().split('\n');
    expect(mode).toBe('600');
    expect(path.endsWith('/app.yaml')).toBe(true);
    expect(existsSync(path)).toBe(false);
    const unread = await keyward(['exec-file', flat, 'exit 4'], { env: key });
    expect(unread.code).toBe(4);
  });

  it('exec-file ends when the command leaves the FIFO unread, however large the file (no hang)', async () => {
    const plain = join(dir, 'big.yaml');
    writeFileSync(plain, Array.from({ length: 2000 }, (_, i) => `key${i}: ${'x'.repeat(100)}`).join('\n'));
    const big = join(dir, 'big.enc.yaml');
    writeFileSync(big, (await keyward(['encrypt', '--age', DEV_AGE_RECIPIENT, plain])).stdout);
    for (const [command, code] of [
      ['exit 3', 3],
      ['head -c 10 {} > /dev/null; exit 5', 5],
    ] as const) {
      for (let i = 0; i < 5; i++) {
        const res = await keyward(['exec-file', big, command], { env: key, timeoutMs: 20_000 });
        expect(res).toMatchObject({ code, timedOut: false });
      }
    }
  });
});
