/**
 * Every age identity source sops reads, against real keys and real shell commands:
 * SSH key file and command, ~/.ssh/id_ed25519 and id_rsa, SOPS_AGE_KEY, the key file,
 * the key command (which sees SOPS_AGE_RECIPIENT), and the default keys.txt. Locked
 * SSH keys are skipped with a warning; failures name the source, never key material.
 */

import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { keyType } from '../../src/keys/age/index.js';
import { type TestContext, testContext } from '../helpers/context.js';
import { run, tempDir } from '../helpers/proc.js';

const dir = tempDir('keyward-age-ids-');
const keyPath = (name: string) => join(dir, name);
const ref = (name: string) => ({ recipient: readFileSync(`${keyPath(name)}.pub`, 'utf8').trim() });
const secrets: string[] = [];
let x25519 = { identity: '', recipient: '' };

async function keygen(name: string, args: string[], passphrase = ''): Promise<void> {
  const res = await run('ssh-keygen', ['-q', ...args, '-N', passphrase, '-f', keyPath(name)]);
  if (res.code !== 0) throw new Error(`ssh-keygen failed: ${res.stderr}`);
  const body = readFileSync(keyPath(name), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Za-z0-9+/=]{20,}$/.test(l));
  secrets.push(...body.map((l) => l.slice(0, 20)));
}

/** A HOME holding the given keys as ~/.ssh/<name>. */
function homeWith(keys: Record<string, string>): string {
  const home = tempDir('keyward-age-home-');
  mkdirSync(join(home, '.ssh'));
  for (const [as, name] of Object.entries(keys)) copyFileSync(keyPath(name), join(home, '.ssh', as));
  return home;
}

beforeAll(async () => {
  await keygen('ed25519', ['-t', 'ed25519']);
  await keygen('rsa', ['-t', 'rsa', '-b', '2048']);
  await keygen('locked', ['-t', 'ed25519'], 'correct horse');
  const identity = await generateX25519Identity();
  x25519 = { identity, recipient: await identityToRecipient(identity) };
  secrets.push(identity, identity.slice(20, 40));
  writeFileSync(keyPath('keys.txt'), `# test key\n${identity}\n`);
}, 60_000);

/** Wraps a fresh part to `recipient` and unwraps it with `settings`; true when it came back. */
async function roundTrip(recipient: { recipient: string }, ctx: TestContext): Promise<boolean> {
  const secret = new Uint8Array(randomBytes(32));
  const enc = await keyType.wrap(recipient, secret, ctx);
  const out = await keyType.unwrap(recipient, enc, ctx);
  if (out !== null) expect(out).toEqual(secret);
  return out !== null;
}

async function failure(recipient: { recipient: string }, ctx: TestContext): Promise<Error> {
  const enc = await keyType.wrap(recipient, new Uint8Array(32), ctx);
  const err = await keyType.unwrap(recipient, enc, ctx).then(
    () => new Error('no error'),
    (e: unknown) => e as Error,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err;
}

function expectNoSecrets(ctx: TestContext, ...errors: Error[]): void {
  const said = [...ctx.logged, ...errors.map((e) => e.message)].join('\n');
  for (const s of secrets) expect(said).not.toContain(s);
}

describe('age identity sources', () => {
  it('SOPS_AGE_SSH_PRIVATE_KEY_CMD: the command prints an ssh private key', async () => {
    const ctx = testContext({ SOPS_AGE_SSH_PRIVATE_KEY_CMD: `cat '${keyPath('rsa')}'` }, true);
    expect(await roundTrip(ref('rsa'), ctx)).toBe(true);
    expect(await roundTrip(ref('ed25519'), ctx)).toBe(false);
  });

  it('~/.ssh/id_ed25519 and ~/.ssh/id_rsa are used by default; missing ones are fine', async () => {
    const both = testContext({ HOME: homeWith({ id_ed25519: 'ed25519', id_rsa: 'rsa' }) });
    expect(await roundTrip(ref('ed25519'), both)).toBe(true);
    expect(await roundTrip(ref('rsa'), both)).toBe(true);
    const none = testContext({ HOME: homeWith({}) });
    expect(await roundTrip(ref('ed25519'), none)).toBe(false);
    expect(none.logged).toEqual([]);
  });

  it('SOPS_AGE_KEY, SOPS_AGE_KEY_FILE and the default keys.txt each give X25519 identities', async () => {
    const xdg = tempDir('keyward-age-xdg-');
    mkdirSync(join(xdg, 'sops', 'age'), { recursive: true });
    copyFileSync(keyPath('keys.txt'), join(xdg, 'sops', 'age', 'keys.txt'));
    const sources: Record<string, string>[] = [
      { SOPS_AGE_KEY: `# comment\n${x25519.identity}` },
      { SOPS_AGE_KEY_FILE: keyPath('keys.txt') },
      { XDG_CONFIG_HOME: xdg },
    ];
    for (const settings of sources) {
      expect(await roundTrip(x25519, testContext(settings))).toBe(true);
    }
  });

  it('SOPS_AGE_KEY_CMD runs through sh -c with SOPS_AGE_RECIPIENT set to the recipient', async () => {
    const seen = keyPath('seen-recipient');
    const cmd = `printf %s "$SOPS_AGE_RECIPIENT" > '${seen}'; cat '${keyPath('keys.txt')}'`;
    const ctx = testContext({ SOPS_AGE_KEY_CMD: cmd }, true);
    expect(await roundTrip(x25519, ctx)).toBe(true);
    expect(readFileSync(seen, 'utf8')).toBe(x25519.recipient);
    expect(await roundTrip(ref('ed25519'), ctx)).toBe(false);
    expect(readFileSync(seen, 'utf8')).toBe(ref('ed25519').recipient);
  });

  it('all sources are loaded together: a locked key is skipped with a warning, the others still work', async () => {
    const ctx = testContext(
      {
        SOPS_AGE_SSH_PRIVATE_KEY_FILE: keyPath('locked'),
        HOME: homeWith({ id_ed25519: 'ed25519', id_rsa: 'locked' }),
        SOPS_AGE_KEY_FILE: keyPath('keys.txt'),
      },
      true,
    );
    expect(await roundTrip(ref('ed25519'), ctx)).toBe(true);
    expect(await roundTrip(x25519, ctx)).toBe(true);
    expect(await roundTrip(ref('locked'), ctx)).toBe(false);
    expect(ctx.logged.filter((l) => /^warn: age: skipping .*passphrase-protected/.test(l))).toHaveLength(2);
    expectNoSecrets(ctx);
  });
});

describe('age identity source failures', () => {
  it('an explicitly named file that is missing is a ConfigError naming the variable', async () => {
    for (const name of ['SOPS_AGE_SSH_PRIVATE_KEY_FILE', 'SOPS_AGE_KEY_FILE']) {
      const err = await failure(x25519, testContext({ [name]: join(dir, 'no-such-file') }));
      expect(err.message).toBe(`age: cannot read ${name} ${join(dir, 'no-such-file')}`);
    }
  });

  it('a failing key command names its variable and exit code, never its output', async () => {
    const leaky = `cat '${keyPath('ed25519')}'; cat '${keyPath('keys.txt')}' >&2; exit 3`;
    for (const name of ['SOPS_AGE_SSH_PRIVATE_KEY_CMD', 'SOPS_AGE_KEY_CMD']) {
      const ctx = testContext({ [name]: leaky }, true);
      const err = await failure(x25519, ctx);
      expect(err.message).toBe(`age: ${name} failed with exit code 3`);
      expectNoSecrets(ctx, err);
    }
  });

  it('an explicit ssh key that is not a key, or not an ssh key, is a ConfigError without its text', async () => {
    writeFileSync(keyPath('not-ssh'), `${x25519.identity}\n`);
    const file = testContext({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: keyPath('not-ssh') });
    const fileErr = await failure(x25519, file);
    expect(fileErr.message).toMatch(/^age: SOPS_AGE_SSH_PRIVATE_KEY_FILE .* is not an ssh private key$/);
    const cmd = testContext({ SOPS_AGE_SSH_PRIVATE_KEY_CMD: `cat '${keyPath('keys.txt')}'` }, true);
    const cmdErr = await failure(x25519, cmd);
    expect(cmdErr.message).toBe('age: the output of SOPS_AGE_SSH_PRIVATE_KEY_CMD is not an ssh private key');
    expectNoSecrets(file, fileErr, cmdErr);
  });

  it('a broken default ~/.ssh key is skipped with a warning', async () => {
    const home = homeWith({});
    writeFileSync(
      join(home, '.ssh', 'id_rsa'),
      '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
    );
    const ctx = testContext({ HOME: home, SOPS_AGE_KEY: x25519.identity });
    expect(await roundTrip(x25519, ctx)).toBe(true);
    expect(ctx.logged).toEqual([
      `warn: age: skipping ${join(home, '.ssh', 'id_rsa')}: it is not an openssh private key`,
    ]);
  });
});
