/**
 * `pgp` master keys: the data key (or a Shamir share) is encrypted to one OpenPGP
 * key with the `gpg` program, as sops does, and stored as an ASCII-armored message.
 * The program is SOPS_GPG_EXEC (else `gpg`) and the keyring is GNUPGHOME when set, else
 * gpg's default one. With KEYWARD_AMBIENT_CREDENTIALS off the default keyring is never
 * used: without GNUPGHOME, unwrap finds no identity (gpg is not run) and wrap fails.
 */

import { ConfigError, FormatError } from '../errors.js';
import { ambientCredentials } from '../settings.js';
import type { Context, KeyFields, KeyType, RunOptions, RunResult } from '../types.js';

export interface PgpRef {
  /** Fingerprint or key id as given, spaces removed; a trailing `!` selects a subkey. */
  fingerprint: string;
}

const FLAG_FINGERPRINT = /^(?:[0-9A-Fa-f]{16}|[0-9A-Fa-f]{40})!?$/;
const ARMOR_HEADER = '-----BEGIN PGP MESSAGE-----';

function gpgExec(ctx: Context): string {
  return ctx.settings.first('SOPS_GPG_EXEC') ?? 'gpg';
}

/** Whether gpg may run here: always with GNUPGHOME, else only on the machine's keyring when ambient credentials are on. */
const keyringAllowed = (ctx: Context): boolean =>
  ctx.settings.first('GNUPGHOME') !== undefined || ambientCredentials(ctx.settings);

/** Runs gpg through the context, turning a failure to start it into a clear error. */
async function runGpg(ref: PgpRef, args: readonly string[], input: Uint8Array, ctx: Context): Promise<RunResult> {
  const exec = gpgExec(ctx);
  const home = ctx.settings.first('GNUPGHOME');
  const options: RunOptions = { input };
  if (home) options.env = { GNUPGHOME: home };
  if (ctx.signal) options.signal = ctx.signal;
  try {
    return await ctx.run(exec, args, options);
  } catch (err) {
    if (ctx.signal?.aborted) throw err;
    const code = err instanceof Error && 'code' in err ? String(err.code) : undefined;
    if (code === 'ENOENT') {
      throw new ConfigError(
        `pgp ${ref.fingerprint}: the gpg program ${JSON.stringify(exec)} was not found; install GnuPG or set SOPS_GPG_EXEC`,
        { cause: err },
      );
    }
    throw new ConfigError(
      `pgp ${ref.fingerprint}: could not run the gpg program ${JSON.stringify(exec)} (${code ?? 'error'})`,
      { cause: err },
    );
  }
}

/**
 * A short reason from gpg's messages. gpg can quote its input (e.g. a bad armor
 * line), so long base64/hex-like runs are cut out and the text is capped.
 */
function reasonOf(result: RunResult): string {
  const lines = result.stderr
    .split(/\r?\n/)
    .filter((line) => line.startsWith('gpg: '))
    .map((line) =>
      line
        .slice(5)
        .replace(/^\[stdin\]: /, '')
        .replace(/[A-Za-z0-9+/=]{16,}(?:\\n)?/g, '…')
        .trim(),
    );
  const last = [...new Set(lines)].slice(-2).join('; ');
  const text = last === '' ? `exit code ${result.code}` : last;
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

/** gpg found the secret key but could not use it (passphrase, agent or card trouble). */
const UNUSABLE = /\[GNUPG:\] (?:PINENTRY_LAUNCHED|ERROR pkdecrypt_failed)|public key decryption failed/;
/** gpg holds no secret key for the message: status NO_SECKEY, or its "No secret key" message. */
const NO_SECRET_KEY = /\[GNUPG:\] NO_SECKEY |no secret key/i;

export const keyType: KeyType<PgpRef> = {
  id: 'pgp',
  hasCreatedAt: true,

  parseRef(fields: KeyFields): PgpRef {
    const fp = fields.fp;
    if (typeof fp !== 'string' || fp.trim() === '') throw new FormatError('pgp: key entry has no fp');
    return { fingerprint: fp.replace(/\s+/g, '') };
  },

  formatRef(ref: PgpRef) {
    return { fp: ref.fingerprint };
  },

  describe(ref: PgpRef): string {
    return `pgp ${ref.fingerprint}`;
  },

  parseFlag(text: string): PgpRef {
    const fingerprint = text.trim().replace(/\s+/g, '');
    if (!FLAG_FINGERPRINT.test(fingerprint)) {
      throw new ConfigError(
        `pgp: ${JSON.stringify(fingerprint)} is not a pgp fingerprint (40 or 16 hex digits, optionally followed by !)`,
      );
    }
    return { fingerprint };
  },

  async wrap(ref: PgpRef, part: Uint8Array, ctx: Context): Promise<string> {
    if (!keyringAllowed(ctx)) {
      throw new ConfigError(
        `pgp ${ref.fingerprint}: set GNUPGHOME (the default keyring is not used while KEYWARD_AMBIENT_CREDENTIALS is off)`,
      );
    }
    const trusted = ref.fingerprint.replace(/!$/, '').slice(-16);
    const args = ['--batch', '--quiet', '--no-default-recipient', '--yes', '--encrypt', '-a'];
    args.push('-r', ref.fingerprint, '--trusted-key', trusted, '--no-encrypt-to');
    const result = await runGpg(ref, args, part, ctx);
    if (result.code !== 0) {
      throw new ConfigError(`pgp ${ref.fingerprint}: gpg could not encrypt (${reasonOf(result)})`);
    }
    const armored = new TextDecoder().decode(result.stdout);
    if (!armored.startsWith(ARMOR_HEADER)) {
      throw new ConfigError(`pgp ${ref.fingerprint}: gpg could not encrypt (its output is not an armored pgp message)`);
    }
    return armored;
  },

  async unwrap(ref: PgpRef, enc: string, ctx: Context): Promise<Uint8Array | null> {
    if (!keyringAllowed(ctx)) return null;
    // Not --quiet: gpg then hides the status that tells a locked secret key from a missing one.
    const args = ['--batch', '--no-tty', '--status-fd', '2', '-d'];
    const result = await runGpg(ref, args, new TextEncoder().encode(enc), ctx);
    if (result.code === 0) {
      if (result.stdout.length > 0) return result.stdout;
      throw new FormatError(`pgp ${ref.fingerprint}: gpg could not decrypt (it returned no data)`);
    }
    const unusable = UNUSABLE.test(result.stderr);
    if (!unusable && NO_SECRET_KEY.test(result.stderr)) return null;
    const what = unusable ? 'gpg has the secret key but could not use it' : 'gpg could not decrypt';
    throw new FormatError(`pgp ${ref.fingerprint}: ${what} (${reasonOf(result)})`);
  },
};
