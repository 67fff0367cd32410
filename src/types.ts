/**
 * Shared contracts of the core: the injected Context and the two extension points,
 * master keys (`KeyType`) and secret backends (`BackendType`). Providers import only
 * this file, `errors.ts` and `settings.ts`.
 */

import type { Settings } from './settings.js';

/** Diagnostics sink. Messages must never contain secret values. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

/** Result of running an external program (gpg, an age key command, helm…). */
export interface RunResult {
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

export interface RunOptions {
  input?: Uint8Array;
  env?: Readonly<Record<string, string>>;
  signal?: AbortSignal;
  /** Most bytes of stdout the program may print; beyond, it is killed and the run fails with code EOVERFLOW. */
  maxStdout?: number;
}

/** An HTTP request as providers make it: a string body, headers as a plain record. */
export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** PEM CA certificates to trust for this request instead of the default ones. */
  ca?: string;
  /** Skip TLS certificate checks (VAULT_SKIP_VERIFY); the surface may refuse it. */
  insecure?: boolean;
}

/** The part of a fetch Response providers read. */
export interface HttpResponse {
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
  text(): Promise<string>;
}

/** A fetch-like HTTP client; the global `fetch` fits, and so does the CLI's lighter client. */
export type HttpFetch = (url: string, init?: HttpRequest) => Promise<HttpResponse>;

/** Everything that touches the world, injected so surfaces and tests stay hermetic. */
export interface Context {
  settings: Settings;
  readFile(path: string): Promise<Uint8Array>;
  /** The path with every symlink resolved (fs.realpath); absent where paths are not files. */
  realPath?(path: string): Promise<string>;
  /** Writes a file only its owner can read (0600, folders 0700), atomically; absent where nothing may be written. */
  writePrivateFile?(path: string, data: Uint8Array): Promise<void>;
  run(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  fetch: HttpFetch;
  now(): Date;
  log: Logger;
  signal?: AbortSignal;
}

/** The identifying fields of a master key as stored in metadata (no `enc`, no `created_at`). */
export type KeyFields = Readonly<Record<string, unknown>>;

/**
 * A master key type: wraps and unwraps (a part of) the data key.
 * `Ref` is the parsed identity of one key, e.g. an age recipient or a KMS ARN.
 */
export interface KeyType<Ref> {
  /** Wire id: the metadata list name, e.g. `age`, `pgp`, `hc_vault`. */
  readonly id: string;
  /** Whether metadata entries of this type carry `created_at` (all but age). */
  readonly hasCreatedAt: boolean;
  parseRef(fields: KeyFields): Ref;
  formatRef(ref: Ref): Record<string, unknown>;
  /** A short, secret-free name of the key for reports, e.g. `age1abc…`. */
  describe(ref: Ref): string;
  /**
   * The `enc` of `part` for this key. It may complete `ref` with what the service
   * resolved (an Azure key's latest version): callers store `formatRef(ref)` after it.
   */
  wrap(ref: Ref, part: Uint8Array, ctx: Context): Promise<string>;
  /** The unwrapped part, or null when no identity for this key is available here. Throws when broken. */
  unwrap(ref: Ref, enc: string, ctx: Context): Promise<Uint8Array | null>;
  /** Parses a CLI / `.sops.yaml` key list entry. */
  parseFlag?(text: string): Ref | Promise<Ref>;
}

/** A declared setting of a backend: used for --help, docs and log redaction. */
export interface SettingSpec {
  name: string;
  required: boolean;
  secret: boolean;
  description: string;
}

export interface ReadOptions {
  version?: string;
  /** The KV version a manifest's `kv-version` annotation names (vault only). */
  kvVersion?: 1 | 2;
  /** The reference is in argocd-vault-plugin's syntax: where AVP is more lenient, do as it does. */
  avp?: boolean;
  signal?: AbortSignal;
}

export interface BackendInstance {
  /** The secret's data, or undefined when it does not exist. */
  read(path: string, options: ReadOptions): Promise<unknown>;
  /**
   * Seconds until something read needs reading (or renewing) again — a lease, a TTL —
   * for a long-running surface's next render; undefined when nothing read has one.
   */
  refreshIn?(): number | undefined;
  close?(): Promise<void>;
}

/** What the core lends backends that need it (providers never import the core). */
export interface BackendHelpers {
  /** Decrypts a SOPS file to plain data (the `sops` backend). */
  decryptFile(path: string): Promise<unknown>;
}

/** A secret backend for `<scheme:path#key>` placeholders. */
export interface BackendType<Config> {
  readonly scheme: string;
  readonly settings: readonly SettingSpec[];
  /** Validates settings; no I/O. */
  configure(settings: Settings): Config;
  create(config: Config, ctx: Context, helpers: BackendHelpers): BackendInstance;
}
