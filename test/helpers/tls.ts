/**
 * A throwaway certificate for a loopback HTTPS fake: openssl makes an RSA-2048 key and
 * a self-signed certificate for 127.0.0.1, valid two days, in `dir`. Clients trust it
 * through the certificate file (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, a kubeconfig's
 * certificate-authority).
 */

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LoopbackCert {
  certFile: string;
  key: Buffer;
  cert: Buffer;
}

export function loopbackCert(dir: string, prefix: string): LoopbackCert {
  const id = randomUUID().slice(0, 8);
  const keyFile = join(dir, `${prefix}-${id}-key.pem`);
  const certFile = join(dir, `${prefix}-${id}-cert.pem`);
  const subject = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'];
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', ...subject];
  execFileSync('openssl', [...args, '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  return { certFile, key: readFileSync(keyFile), cert: readFileSync(certFile) };
}
