/**
 * Serving certificates from files, reloaded when they change: cert-manager (or any
 * tool) renews the Secret, the kubelet swaps the mounted files, and the next TLS
 * handshake uses the new pair with no restart. The files are polled (a mounted
 * Secret changes by a symlink swap that file watchers miss); a pair that does not
 * load is reported and the previous one kept.
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError, type Logger } from '../../src/index.js';

export interface CertPair {
  cert: Buffer;
  key: Buffer;
}

/** Reads and checks a certificate and key pair; a ConfigError naming the file when it cannot. */
export function loadPair(certFile: string, keyFile: string): CertPair {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch {
      throw new ConfigError(`webhook: cannot read the TLS ${what} ${file}`);
    }
  };
  const pair = { cert: read(certFile, 'certificate'), key: read(keyFile, 'key') };
  try {
    createSecureContext(pair);
  } catch {
    throw new ConfigError(`webhook: ${certFile} and ${keyFile} are not a matching PEM certificate and key`);
  }
  return pair;
}

const digest = (pair: CertPair): string => createHash('sha256').update(pair.cert).update(pair.key).digest('hex');

/**
 * Polls the files every `intervalMs` and calls `apply` with a new pair when their
 * contents change; returns the function that stops polling.
 */
export function watchPair(
  certFile: string,
  keyFile: string,
  initial: CertPair,
  apply: (pair: CertPair) => void,
  log: Logger,
  intervalMs = 5_000,
): () => void {
  let current = digest(initial);
  let failing = false;
  const timer = setInterval(() => {
    let pair: CertPair;
    try {
      pair = loadPair(certFile, keyFile);
    } catch (err) {
      // a renewal half done (one file swapped, not yet the other): keep the old pair
      if (!failing) log.warn(`${(err as Error).message}; keeping the current certificate`);
      failing = true;
      return;
    }
    failing = false;
    const next = digest(pair);
    if (next === current) return;
    current = next;
    apply(pair);
    log.info(`webhook: loaded the renewed certificate from ${certFile}`);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
