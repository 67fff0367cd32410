/**
 * `kms` master keys: the data key (or a Shamir share) is encrypted with AWS KMS, as
 * sops does: `Encrypt(KeyId = arn, Plaintext, EncryptionContext)`, stored as the
 * standard base64 of the ciphertext blob. The region comes from the ARN; endpoints
 * and credentials follow the AWS SDK's usual settings (AWS_ENDPOINT_URL_KMS,
 * AWS_ACCESS_KEY_ID…, AWS_PROFILE or the key's `aws_profile`). A key with a `role`
 * first assumes it through STS (AWS_ENDPOINT_URL_STS) with sops's session name; its
 * temporary credentials are cached per role, profile, region, STS endpoint and a sha256
 * of the base credentials, until shortly before they expire. The SDK loads only when a
 * file uses a kms key. A file is untrusted input: the ARN's partition must be aws,
 * aws-cn, aws-us-gov, aws-iso or aws-iso-b, its region a plain region name (it picks the
 * endpoint host), and a `role` an IAM role ARN. With KEYWARD_AMBIENT_CREDENTIALS off only
 * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) from settings sign
 * requests, never the SDK's default chain (environment, shared files, IMDS, container or
 * web identity) nor endpoints from its configuration files, and a key with an
 * `aws_profile` is refused, as profiles come from the machine's files.
 */

import { createHash } from 'node:crypto';
import { ConfigError, FormatError } from '../errors.js';
import { ambientCredentials } from '../settings.js';
import type { Context, KeyFields, KeyType } from '../types.js';

export interface KmsRef {
  arn: string;
  /** IAM role to assume first (STS AssumeRole), or empty. */
  role: string;
  /** Encryption context: must match on decrypt. */
  context: Record<string, string>;
  awsProfile: string;
}

const PARTITION = '(?:aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b)';
const ARN = new RegExp(
  `^arn:${PARTITION}:kms:([a-z]+(?:-[a-z0-9]+)+):[0-9]{12}:(?:key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)$`,
);
const ROLE = new RegExp(`^arn:${PARTITION}:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`);

function regionOf(arn: string): string {
  const region = ARN.exec(arn)?.[1];
  if (!region) {
    throw new ConfigError(
      `kms: ${JSON.stringify(arn)} is not a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id> or alias/<name>)`,
    );
  }
  return region;
}

/** The key itself, or a ConfigError when its ARN or role is not one AWS would issue. */
function checked(ref: KmsRef): KmsRef {
  regionOf(ref.arn);
  if (ref.role !== '' && !ROLE.test(ref.role)) {
    throw new ConfigError(`kms ${ref.arn}: role ${JSON.stringify(ref.role)} is not an IAM role ARN`);
  }
  return ref;
}

function contextOf(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new FormatError('kms: context must be a map');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new FormatError(`kms: context value of ${JSON.stringify(k)} must be text`);
    out[k] = v;
  }
  return out;
}

const describe = (ref: KmsRef): string => `kms ${ref.arn}${ref.role ? ` (role ${ref.role})` : ''}`;

/**
 * The STS session name sops uses: `sops@` and the host name without the characters
 * outside sops's class `[a-zA-Z0-9=,.@-_]` (there `@-_` is a range, so `-`, `+`, `~`
 * go and `[`, `\\`, `]`, `^`, `_` stay), cut to 64 characters.
 */
export function sessionName(host: string): string {
  return `sops@${host.replace(/[^a-zA-Z0-9=,.\x40-\x5f]/g, '')}`.slice(0, 64);
}

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The static credentials named in settings, if any. */
function settingsCredentials(ctx: Context): Credentials | undefined {
  const s = ctx.settings;
  const keyId = s.first('AWS_ACCESS_KEY_ID');
  const secret = s.first('AWS_SECRET_ACCESS_KEY');
  const session = s.first('AWS_SESSION_TOKEN');
  return keyId && secret
    ? { accessKeyId: keyId, secretAccessKey: secret, ...(session ? { sessionToken: session } : {}) }
    : undefined;
}

/** Client settings shared by KMS and STS: region, profile and any static credentials. */
function baseConfig(ref: KmsRef, ctx: Context) {
  const credentials = settingsCredentials(ctx);
  const ambient = ambientCredentials(ctx.settings);
  if (!ambient && ref.awsProfile) {
    throw new ConfigError(
      `${describe(ref)}: aws_profile ${JSON.stringify(ref.awsProfile)} is refused while KEYWARD_AMBIENT_CREDENTIALS is off (profiles come from the machine's files)`,
    );
  }
  if (!ambient && !credentials) {
    throw new ConfigError(
      `${describe(ref)}: no AWS credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; the SDK's default credential chain is not used while KEYWARD_AMBIENT_CREDENTIALS is off)`,
    );
  }
  return {
    region: regionOf(ref.arn),
    // the SDK waits forever by default: a KMS endpoint that drops packets must fail, not hang the render
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
    ...(credentials ? { credentials } : {}),
    ...(ref.awsProfile ? { profile: ref.awsProfile } : {}),
    ...(ambient ? {} : { ignoreConfiguredEndpointUrls: true }),
  };
}

interface Assumed {
  credentials: Credentials;
  /** Milliseconds since the epoch when STS says they expire, if it says. */
  expires?: number;
}

const assumed = new Map<string, Promise<Assumed>>();

/** The cache key of an AssumeRole result: the role, where it is asked, and who asks (hashed). */
function assumedKey(ref: KmsRef, ctx: Context, endpoint: string | undefined): string {
  const base = settingsCredentials(ctx);
  const who = base ? [base.accessKeyId, base.secretAccessKey, base.sessionToken ?? ''] : ['ambient'];
  const parts = [ref.role, ref.awsProfile, regionOf(ref.arn), endpoint ?? '', ...who];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** Temporary credentials for the key's role (STS AssumeRole), shared only by callers with the same base credentials. */
async function assumeRole(ref: KmsRef, ctx: Context): Promise<Credentials> {
  const endpoint = ctx.settings.first('AWS_ENDPOINT_URL_STS') ?? ctx.settings.first('AWS_ENDPOINT_URL');
  const config = baseConfig(ref, ctx);
  const id = assumedKey(ref, ctx, endpoint);
  const cached = assumed.get(id);
  const hit = cached && (await cached.catch(() => undefined));
  if (hit && (hit.expires === undefined || hit.expires - 300_000 > ctx.now().getTime())) return hit.credentials;
  if (assumed.get(id) !== cached) return assumeRole(ref, ctx); // another caller refreshed it meanwhile
  const pending = call(
    ref,
    'assume the role',
    async () => {
      const { STSClient, AssumeRoleCommand } = await import('@aws-sdk/client-sts');
      const sts = new STSClient({ ...config, ...(endpoint ? { endpoint } : {}) });
      const host = process.getBuiltinModule('node:os').hostname();
      const out = await sts.send(new AssumeRoleCommand({ RoleArn: ref.role, RoleSessionName: sessionName(host) }));
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) throw new ConfigError(`${describe(ref)}: STS returned no credentials`);
      const credentials = {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
      };
      return { credentials, ...(c.Expiration ? { expires: c.Expiration.getTime() } : {}) };
    },
    'STS',
  );
  assumed.set(id, pending);
  // a refusal is not remembered: the next render asks again
  pending.catch(() => assumed.get(id) === pending && assumed.delete(id));
  return (await pending).credentials;
}

/** A KMS client for the key's region, with the endpoint and credentials from the context's settings. */
async function client(ref: KmsRef, ctx: Context) {
  const [{ KMSClient }, sdkCore] = await Promise.all([import('@aws-sdk/client-kms'), import('@aws-sdk/core/client')]);
  // the SDK warns on every run under Node.js 20 that its 2027 releases will need Node.js 22: not the user's concern here
  sdkCore.state.warningEmitted = true;
  const endpoint = ctx.settings.first('AWS_ENDPOINT_URL_KMS') ?? ctx.settings.first('AWS_ENDPOINT_URL');
  const config = baseConfig(ref, ctx);
  const credentials = ref.role !== '' ? await assumeRole(ref, ctx) : config.credentials;
  return new KMSClient({ ...config, ...(endpoint ? { endpoint } : {}), ...(credentials ? { credentials } : {}) });
}

/** Runs a KMS call; failures name the key and AWS's error name, never the payload. */
async function call<T>(ref: KmsRef, what: string, run: () => Promise<T>, service = 'KMS'): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const name = err instanceof Error ? err.name : 'error';
    const message = err instanceof Error ? err.message.replace(/[A-Za-z0-9+/=]{24,}/g, '…').slice(0, 160) : '';
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const http = status && status >= 300 ? `, HTTP ${status}` : '';
    throw new ConfigError(
      `${describe(ref)}: ${service} could not ${what} (${name}${message ? `: ${message}` : ''}${http})`,
    );
  }
}

export const keyType: KeyType<KmsRef> = {
  id: 'kms',
  hasCreatedAt: true,

  parseRef(fields: KeyFields): KmsRef {
    const arn = fields.arn;
    if (typeof arn !== 'string' || arn === '') throw new FormatError('kms: key entry has no arn');
    const role = typeof fields.role === 'string' ? fields.role : '';
    const awsProfile = typeof fields.aws_profile === 'string' ? fields.aws_profile : '';
    return checked({ arn, role, context: contextOf(fields.context), awsProfile });
  },

  formatRef(ref: KmsRef) {
    return {
      arn: ref.arn,
      ...(ref.role ? { role: ref.role } : {}),
      ...(Object.keys(ref.context).length > 0 ? { context: ref.context } : {}),
      aws_profile: ref.awsProfile,
    };
  },

  describe,

  /** `arn` or `arn+rolearn`. */
  parseFlag(text: string): KmsRef {
    const trimmed = text.trim();
    const at = trimmed.indexOf('+arn:');
    const arn = at === -1 ? trimmed : trimmed.slice(0, at);
    return checked({ arn, role: at === -1 ? '' : trimmed.slice(at + 1), context: {}, awsProfile: '' });
  },

  async wrap(ref: KmsRef, part: Uint8Array, ctx: Context): Promise<string> {
    const { EncryptCommand } = await import('@aws-sdk/client-kms');
    const kms = await client(ref, ctx);
    const out = await call(ref, 'encrypt', () =>
      kms.send(new EncryptCommand({ KeyId: ref.arn, Plaintext: part, EncryptionContext: ref.context })),
    );
    if (!out.CiphertextBlob) throw new ConfigError(`${describe(ref)}: KMS returned no ciphertext`);
    return Buffer.from(out.CiphertextBlob).toString('base64');
  },

  async unwrap(ref: KmsRef, enc: string, ctx: Context): Promise<Uint8Array | null> {
    const { DecryptCommand } = await import('@aws-sdk/client-kms');
    const kms = await client(ref, ctx);
    const blob = Buffer.from(enc, 'base64');
    const out = await call(ref, 'decrypt', () =>
      kms.send(new DecryptCommand({ KeyId: ref.arn, CiphertextBlob: blob, EncryptionContext: ref.context })),
    );
    if (!out.Plaintext) throw new FormatError(`${describe(ref)}: KMS returned no plaintext`);
    return new Uint8Array(out.Plaintext);
  },
};
