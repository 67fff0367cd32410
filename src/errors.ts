/**
 * Typed errors of the core. Every error has a stable `code` that surfaces map to
 * their own outcome (the CLI to an exit code, the plugin to a failed render, the
 * webhook to a denied admission). Messages are lowercase, start with the part of
 * keyward that failed, name the location, and never carry a secret value.
 */

export type ErrorCode =
  | 'generic'
  | 'usage'
  | 'invalid-set'
  | 'not-modified'
  | 'no-editor'
  | 'io'
  | 'no-file'
  | 'output'
  | 'format'
  | 'metadata'
  | 'not-encrypted'
  | 'already-encrypted'
  | 'decrypt-value'
  | 'mac-mismatch'
  | 'data-key'
  | 'config'
  | 'backend'
  | 'placeholder';

export interface ErrorOptions {
  cause?: unknown;
}

export class KeywardError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** Input that cannot be parsed: bad YAML/JSON, a value that is not `ENC[…]`, a bad tree path. */
export class FormatError extends KeywardError {
  constructor(message: string, options?: ErrorOptions) {
    super('format', message, options);
  }
}

/** The `sops` metadata block is missing or invalid. */
export class MetadataError extends KeywardError {
  constructor(message: string, options?: ErrorOptions) {
    super('metadata', message, options);
  }
}

/** A value could not be decrypted (wrong key, tampered ciphertext, wrong path). */
export class DecryptValueError extends KeywardError {
  constructor(message: string, options?: ErrorOptions) {
    super('decrypt-value', message, options);
  }
}

/** The MAC stored in the file does not match the one computed from its values. */
export class MacMismatchError extends KeywardError {
  constructor(message: string, options?: ErrorOptions) {
    super('mac-mismatch', message, options);
  }
}

/** What happened to one master key while recovering the data key. */
export interface KeyAttempt {
  key: string;
  reason: string;
}

/** What happened to one key group while recovering the data key. */
export interface GroupReport {
  group: number;
  ok: boolean;
  attempts: KeyAttempt[];
}

/** No key group (or too few for the Shamir threshold) gave up its part of the data key. */
export class DataKeyError extends KeywardError {
  readonly groups: GroupReport[];

  constructor(message: string, groups: GroupReport[], options?: ErrorOptions) {
    super('data-key', `${message}\n${formatGroups(groups)}`, options);
    this.groups = groups;
  }
}

function formatGroups(groups: GroupReport[]): string {
  return groups
    .map((g) => {
      const head = `group ${g.group}: ${g.ok ? 'ok' : 'failed'}`;
      const lines = g.attempts.map((a) => `  ${a.key}: ${a.reason}`);
      return [head, ...lines].join('\n');
    })
    .join('\n');
}

/** Bad configuration: `.sops.yaml`, flags, settings. */
export class ConfigError extends KeywardError {
  constructor(message: string, options?: ErrorOptions) {
    super('config', message, options);
  }
}

/** Reading or writing a file failed. */
export class IoError extends KeywardError {
  constructor(message: string, options?: ErrorOptions) {
    super('io', message, options);
  }
}

/** A placeholder that does not parse, or an unknown modifier. */
export class PlaceholderSyntaxError extends KeywardError {
  constructor(message: string, options?: ErrorOptions) {
    super('placeholder', message, options);
  }
}

/** A secret backend failed: unreachable, denied, or an answer it cannot use. Never holds a secret value. */
export class BackendError extends KeywardError {
  /** Worth another try: a network error, a timeout, HTTP 5xx or 429. */
  readonly retryable: boolean;

  constructor(message: string, options: ErrorOptions & { retryable?: boolean } = {}) {
    super('backend', message, options);
    this.retryable = options.retryable ?? false;
  }
}

/** Where a placeholder failed: file, document (from 0) and field path; a text has no document (an env var, a secret). */
export interface PlaceholderFailure {
  file: string;
  document?: number;
  field: string;
  message: string;
}

/** Every placeholder failure of a render, reported together (the render wrote nothing). */
export class PlaceholderError extends KeywardError {
  readonly failures: PlaceholderFailure[];

  constructor(failures: PlaceholderFailure[]) {
    const lines = failures.map(
      (f) =>
        `  ${f.file}${f.document === undefined ? ` ${f.field}` : `, document ${f.document}, ${f.field}`}: ${f.message}`,
    );
    const count = failures.length === 1 ? '1 placeholder' : `${failures.length} placeholders`;
    super('placeholder', `${count} could not be resolved; nothing was written\n${lines.join('\n')}`);
    this.failures = failures;
  }
}

/** Returns the error as a KeywardError, wrapping anything else as `generic`. */
export function asKeywardError(err: unknown): KeywardError {
  if (err instanceof KeywardError) return err;
  // Parser messages (JSON's, the yaml library's) can quote the input they choked on, so only the error's class is shown.
  const text =
    err instanceof SyntaxError
      ? 'syntax error'
      : err instanceof Error && err.name.startsWith('YAML')
        ? err.name
        : err instanceof Error
          ? err.message
          : 'unknown failure';
  return new KeywardError('generic', `internal error: ${text}`, { cause: err });
}
