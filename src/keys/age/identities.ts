/**
 * Where age identities come from. As in sops, every source is loaded and tried:
 * 1. SOPS_AGE_SSH_PRIVATE_KEY_FILE, 2. SOPS_AGE_SSH_PRIVATE_KEY_CMD, 3. ~/.ssh/id_ed25519,
 * 4. ~/.ssh/id_rsa, 5. SOPS_AGE_KEY, 6. SOPS_AGE_KEY_FILE, 7. SOPS_AGE_KEY_CMD (run with
 * SOPS_AGE_RECIPIENT set, so per recipient), 8. the default keys.txt. Explicitly named
 * sources must work; the default files may be missing. Nothing here ever prompts.
 * With KEYWARD_AMBIENT_CREDENTIALS off the default files (3, 4 and 8: ~/.ssh/id_ed25519,
 * ~/.ssh/id_rsa, $XDG_CONFIG_HOME or ~/.config/sops/age/keys.txt) are never read.
 */

import { ConfigError } from '../../errors.js';
import { ambientCredentials, type Settings } from '../../settings.js';
import type { Context } from '../../types.js';
import type { AgeIdentity as IdentityObject } from './format.js';

/** An `AGE-SECRET-KEY-1…` string or an SSH identity object. */
export type AgeIdentity = string | IdentityObject;

interface Loaded {
  before: AgeIdentity[];
  after: AgeIdentity[];
  byRecipient: Map<string, Promise<AgeIdentity[]>>;
}

const cache = new WeakMap<Context, Promise<Loaded>>();

/** Splits key text into identities: one or more per line, `#` lines and blanks ignored. */
export function parseIdentities(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    for (const word of trimmed.split(/\s+/)) if (word.startsWith('AGE-')) out.push(word);
  }
  return out;
}

/** The default key file: `$XDG_CONFIG_HOME/sops/age/keys.txt`, else `~/.config/sops/age/keys.txt`. */
export function defaultKeyFile(settings: Settings): string | undefined {
  const xdg = settings.first('XDG_CONFIG_HOME');
  if (xdg) return `${xdg}/sops/age/keys.txt`;
  const home = settings.first('HOME');
  return home ? `${home}/.config/sops/age/keys.txt` : undefined;
}

async function readOptional(ctx: Context, path: string): Promise<string | undefined> {
  try {
    return new TextDecoder().decode(await ctx.readFile(path));
  } catch {
    return undefined;
  }
}

async function readNamed(ctx: Context, name: string, path: string): Promise<string> {
  const text = await readOptional(ctx, path);
  if (text === undefined) throw new ConfigError(`age: cannot read ${name} ${path}`);
  return text;
}

/** Runs a key command through `sh -c`; a failure names the variable, never the command or its output. */
async function runCommand(ctx: Context, name: string, command: string, env?: Record<string, string>): Promise<string> {
  let res: Awaited<ReturnType<Context['run']>>;
  try {
    res = await ctx.run('sh', ['-c', command], {
      ...(env ? { env } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } catch {
    throw new ConfigError(`age: could not run ${name}`);
  }
  if (res.code !== 0) throw new ConfigError(`age: ${name} failed with exit code ${res.code}`);
  return new TextDecoder().decode(res.stdout);
}

/** One SSH private key: an identity, or nothing (with a warning) when it is passphrase-protected. */
async function sshFrom(ctx: Context, source: string, text: string, explicit: boolean): Promise<IdentityObject[]> {
  // the SSH code (and @noble/curves under it) loads only when an SSH key is present
  const { parseSshPrivateKey, SshKeyFormatError } = await import('./ssh-format.js');
  const { sshIdentity } = await import('./ssh.js');
  let parsed: ReturnType<typeof parseSshPrivateKey>;
  try {
    parsed = parseSshPrivateKey(text);
  } catch (err) {
    const reason = err instanceof SshKeyFormatError ? err.message : 'is not a readable ssh private key';
    if (explicit) throw new ConfigError(`age: ${source} ${reason}`);
    ctx.log.warn(`age: skipping ${source}: it ${reason}`);
    return [];
  }
  if (parsed === 'encrypted') {
    ctx.log.warn(`age: skipping ${source}: the ssh key is passphrase-protected and keyward never prompts`);
    return [];
  }
  return [sshIdentity(parsed)];
}

async function loadFixed(ctx: Context): Promise<Loaded> {
  const s = ctx.settings;
  const before: AgeIdentity[] = [];
  const sshFile = s.first('SOPS_AGE_SSH_PRIVATE_KEY_FILE');
  if (sshFile) {
    const text = await readNamed(ctx, 'SOPS_AGE_SSH_PRIVATE_KEY_FILE', sshFile);
    before.push(...(await sshFrom(ctx, `SOPS_AGE_SSH_PRIVATE_KEY_FILE ${sshFile}`, text, true)));
  }
  const sshCmd = s.first('SOPS_AGE_SSH_PRIVATE_KEY_CMD');
  if (sshCmd) {
    const text = await runCommand(ctx, 'SOPS_AGE_SSH_PRIVATE_KEY_CMD', sshCmd);
    before.push(...(await sshFrom(ctx, 'the output of SOPS_AGE_SSH_PRIVATE_KEY_CMD', text, true)));
  }
  const ambient = ambientCredentials(s);
  const home = ambient ? s.first('HOME') : undefined;
  for (const name of home ? ['id_ed25519', 'id_rsa'] : []) {
    const path = `${home}/.ssh/${name}`;
    const text = await readOptional(ctx, path);
    if (text !== undefined) before.push(...(await sshFrom(ctx, path, text, false)));
  }
  const inline = s.first('SOPS_AGE_KEY');
  if (inline) before.push(...parseIdentities(inline));
  const keyFile = s.first('SOPS_AGE_KEY_FILE');
  if (keyFile) before.push(...parseIdentities(await readNamed(ctx, 'SOPS_AGE_KEY_FILE', keyFile)));
  const after: AgeIdentity[] = [];
  const fallback = ambient ? defaultKeyFile(s) : undefined;
  const text = fallback ? await readOptional(ctx, fallback) : undefined;
  if (text !== undefined) after.push(...parseIdentities(text));
  return { before, after, byRecipient: new Map() };
}

function supported(ctx: Context, ids: AgeIdentity[]): AgeIdentity[] {
  return ids.filter((id) => {
    if (typeof id !== 'string' || id.startsWith('AGE-SECRET-KEY-')) return true;
    ctx.log.warn('age: skipping an identity of an unsupported kind (plugin identities are not supported)');
    return false;
  });
}

/** Every identity available for unwrapping a key of `recipient`, loaded once per context. */
export async function identitiesFor(ctx: Context, recipient: string): Promise<AgeIdentity[]> {
  let fixed = cache.get(ctx);
  if (!fixed) {
    fixed = loadFixed(ctx).then((l) => ({ ...l, before: supported(ctx, l.before), after: supported(ctx, l.after) }));
    cache.set(ctx, fixed);
  }
  const loaded = await fixed;
  const cmd = ctx.settings.first('SOPS_AGE_KEY_CMD');
  if (!cmd) return [...loaded.before, ...loaded.after];
  let own = loaded.byRecipient.get(recipient);
  if (!own) {
    own = runCommand(ctx, 'SOPS_AGE_KEY_CMD', cmd, { SOPS_AGE_RECIPIENT: recipient }).then((out) =>
      supported(ctx, parseIdentities(out)),
    );
    loaded.byRecipient.set(recipient, own);
  }
  return [...loaded.before, ...(await own), ...loaded.after];
}
