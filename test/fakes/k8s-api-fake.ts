/**
 * A loopback FAKE of the Kubernetes API server, for tests only: no real API server
 * runs on our machines. It serves HTTPS on 127.0.0.1 with a self-signed certificate
 * that openssl makes at start, answers `GET /api/v1/namespaces/{ns}/secrets/{name}`
 * with a v1 Secret, and answers as the API server does otherwise: 401 Status for an
 * unknown bearer token, 403 when the token's namespaces do not include the one asked
 * for, 404 for a Secret that does not exist. Switches simulate an outage (503) and a
 * server that accepts and never answers. It records method and path, never a body.
 */

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { loopbackCert } from '../helpers/tls.js';

const status = (code: number, reason: string, message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  code,
});

export class K8sApiFake {
  /** `METHOD /path` of each request. */
  readonly requests: string[] = [];
  /** Answer 503 to everything. */
  outage = false;
  /** Accept requests and never answer them. */
  hang = false;
  url = '';
  certFile = '';
  private readonly secrets = new Map<string, Record<string, string>>();
  /** Bearer token → the namespaces it may read ('*' for all). */
  private readonly tokens = new Map<string, readonly string[]>();
  private readonly hanging: ServerResponse[] = [];
  private server: Server | undefined;

  /** Stores a Secret; values are bytes or UTF-8 text, kept base64 as the API does. */
  putSecret(namespace: string, name: string, data: Record<string, string | Uint8Array>): void {
    const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    this.secrets.set(`${namespace}/${name}`, encoded);
  }

  /** A new bearer token allowed to get Secrets in `namespaces`. */
  token(namespaces: readonly string[] = ['*']): string {
    const token = `fake-sa-token-${randomUUID()}`;
    this.tokens.set(token, namespaces);
    return token;
  }

  /** Makes the certificate in `dir` and listens on a random loopback port. */
  async start(dir: string): Promise<this> {
    const { certFile, key, cert } = loopbackCert(dir, 'k8s-fake');
    this.certFile = certFile;
    const server = createServer({ key, cert }, (req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  /** A kubeconfig for this server: one context per entry, the first one current. */
  kubeconfig(contexts: readonly { name: string; token: string; namespace?: string }[]): string {
    const lines = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fake',
      '  cluster:',
      `    server: ${this.url}`,
      `    certificate-authority: ${this.certFile}`,
      'users:',
      ...contexts.flatMap((c) => [`- name: ${c.name}-user`, '  user:', `    token: ${c.token}`]),
      'contexts:',
      ...contexts.flatMap((c) => [
        `- name: ${c.name}`,
        '  context:',
        '    cluster: fake',
        `    user: ${c.name}-user`,
        ...(c.namespace ? [`    namespace: ${c.namespace}`] : []),
      ]),
      `current-context: ${contexts[0]?.name ?? ''}`,
    ];
    return `${lines.join('\n')}\n`;
  }

  async close(): Promise<void> {
    for (const res of this.hanging.splice(0)) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0] ?? '';
    this.requests.push(`${req.method} ${path}`);
    if (this.hang) {
      this.hanging.push(res);
      return;
    }
    const [code, body] = this.answer(req, path);
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private answer(req: IncomingMessage, path: string): [number, object] {
    if (this.outage) return [503, status(503, 'ServiceUnavailable', 'the server is currently unavailable')];
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const allowed = token === undefined ? undefined : this.tokens.get(token);
    if (!allowed) return [401, status(401, 'Unauthorized', 'Unauthorized')];
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/.exec(path);
    if (req.method !== 'GET' || !match) return [404, status(404, 'NotFound', 'the server could not find it')];
    const [, namespace = '', name = ''] = match;
    if (!allowed.includes('*') && !allowed.includes(namespace)) {
      const message = `secrets "${name}" is forbidden: cannot get resource "secrets" in namespace "${namespace}"`;
      return [403, status(403, 'Forbidden', message)];
    }
    const data = this.secrets.get(`${namespace}/${name}`);
    if (!data) return [404, status(404, 'NotFound', `secrets "${name}" not found`)];
    return [200, { kind: 'Secret', apiVersion: 'v1', metadata: { name, namespace }, type: 'Opaque', data }];
  }
}
