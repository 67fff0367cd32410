import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backendSchemes } from '../../src/backends/index.js';
import { DEV_AGE_KEY, DEV_AGE_RECIPIENT } from '../helpers/keys.js';
import { keyward, REPO, run, tempDir } from '../helpers/proc.js';
import { toolPath } from '../rig/paths.js';

const dir = tempDir();

describe('keyward command line', () => {
  it('--help lists the commands and the exit codes', async () => {
    const res = await keyward(['--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^\s+decrypt \[options\] \[file\]/m);
    expect(res.stdout).toMatch(/^\s+keygen/m);
    expect(res.stdout).toContain('51   MAC mismatch');
  });

  it('render --help lists a placeholder of every backend, the modifiers and the exit codes', async () => {
    const res = await keyward(['render', '--help']);
    expect(res.code).toBe(0);
    for (const scheme of backendSchemes.filter((s) => s !== 'memory')) expect(res.stdout).toContain(`<${scheme}:`);
    expect(res.stdout).toContain('sha256sum');
    expect(res.stdout).toContain('100 a path does not exist');
  });

  it('a command help is the same whether or not the other commands are defined', async () => {
    for (const command of ['decrypt', 'encrypt', 'exec-env', 'updatekeys']) {
      const direct = await keyward([command, '--help']);
      const viaHelp = await keyward(['help', command]);
      expect(direct.code).toBe(0);
      expect(direct.stdout).toContain(`Usage: keyward ${command} [options]`);
      expect(direct.stdout).toBe(viaHelp.stdout);
    }
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const res = await keyward([flag]);
      expect(res.code).toBe(0);
      expect(res.stdout).toBe(`${pkg.version}\n`);
    }
    // with more words the bundle answers (its version is written in at build time) through commander
    const viaProgram = await keyward(['--version', 'decrypt']);
    expect(viaProgram).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it('is runnable as `npx keyward` in the checkout', async () => {
    const res = await run('npx', ['--no-install', 'keyward', '--version']);
    expect(res.code).toBe(0);
    expect(res.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('rejects unknown commands and options with exit 8 and a hint', async () => {
    const res = await keyward(['frobnicate']);
    expect(res.code).toBe(8);
    expect(res.stderr).toContain("unknown command 'frobnicate'");
    expect((await keyward(['decrypt', '--no-such-flag'])).code).toBe(8);
  });

  it("sops's global options before the command: --config, --decryption-order, ignored update flags", async () => {
    const cfg = join(dir, 'ci.sops.yaml');
    writeFileSync(cfg, `creation_rules:\n  - path_regex: \\.yaml$\n    age: ${DEV_AGE_RECIPIENT}\n`);
    writeFileSync(join(dir, 'plain.yaml'), 'token: global-options\n');
    const clean = { clean: true, env: { SOPS_AGE_KEY_FILE: DEV_AGE_KEY } };
    const args = ['--config', cfg, '--disable-version-check', 'encrypt', join(dir, 'plain.yaml')];
    const enc = await keyward(args, clean);
    expect(enc).toMatchObject({ code: 0, stderr: '' });
    expect(enc.stdout).toContain(`recipient: ${DEV_AGE_RECIPIENT}`);
    writeFileSync(join(dir, 'global.enc.yaml'), enc.stdout);
    const dec = await keyward(['--decryption-order=pgp,age', 'decrypt', join(dir, 'global.enc.yaml')], clean);
    expect(dec).toMatchObject({ code: 0, stdout: 'token: global-options\n' });
    const sops = await run(toolPath('sops'), args, clean);
    expect(sops.stdout).toContain(`recipient: ${DEV_AGE_RECIPIENT}`);
    expect(await keyward(['--config'])).toMatchObject({ code: 8, stdout: '' });
    expect((await keyward(['--config', cfg])).stderr).toContain('a command must follow the global options');
  });

  it('keygen prints a new identity whose recipient the real age accepts', async () => {
    const res = await keyward(['keygen']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]+$/m);
    const recipient = /Public key: (age1\w+)/.exec(res.stderr)?.[1] ?? '';
    expect(res.stdout).toContain(`# public key: ${recipient}`);
    const keyFile = join(dir, 'id.txt');
    writeFileSync(keyFile, res.stdout, { mode: 0o600 });
    const enc = await run(toolPath('age'), ['-r', recipient, '-a'], { input: 'age interop' });
    expect(enc.code).toBe(0);
    const dec = await run(toolPath('age'), ['-d', '-i', keyFile], { input: enc.stdout });
    expect(dec.stdout).toBe('age interop');
  });
});
