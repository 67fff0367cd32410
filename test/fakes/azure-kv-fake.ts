/**
 * A loopback FAKE of the Azure Key Vault keys REST API (get key, encrypt, decrypt) and
 * of a Microsoft Entra token endpoint, for tests only. It serves HTTPS on 127.0.0.1
 * with a self-signed certificate that openssl makes at start (trust it with
 * NODE_EXTRA_CA_CERTS or SSL_CERT_FILE), holds real RSA-2048 keys and does real
 * RSA-OAEP-256, accepts only bearer tokens it issued itself (401 with a challenge
 * otherwise), and has switches to deny (403) and to simulate an outage (503). It
 * records the method and path of every request, never a body.
 */

import { constants, generateKeyPairSync, type KeyObject, privateDecrypt, publicEncrypt, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { loopbackCert } from '../helpers/tls.js';

export interface FakeKey {
  name: string;
  version: string;
  publicKey: KeyObject;
  privateKey: KeyObject;
}

type Reply = [status: number, body: object, headers?: Record<string, string>];

const OAEP = (key: KeyObject) => ({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' });
const azureError = (status: number, code: string, message: string): Reply => [status, { error: { code, message } }];

export class AzureKvFake {
  readonly clientId = `client-${randomUUID()}`;
  readonly clientSecret = `secret-${randomUUID()}`;
  /** The federated token (normally a Kubernetes service account JWT) the fake accepts as a client assertion. */
  readonly assertion = `assertion-${randomUUID()}`;
  /** `METHOD /path` of each request; token requests add the scope they asked for. */
  readonly requests: string[] = [];
  /** Key Vault answers 403 Forbidden to every key operation. */
  deny = false;
  /** Key Vault answers 503 to everything. */
  outage = false;
  /** The `resource` of the 401 challenge. */
  challengeResource = 'https://vault.azure.net';
  url = '';
  certFile = '';
  private readonly keys = new Map<string, FakeKey[]>();
  private readonly tokens = new Set<string>();
  private server: Server | undefined;

  constructor(readonly tenant = `tenant-${randomUUID().slice(0, 8)}`) {}

  /** Makes the certificate in `dir` and listens on a random loopback port. */
  async start(dir: string): Promise<this> {
    const { certFile, key, cert } = loopbackCert(dir, 'azure-fake');
    this.certFile = certFile;
    const server = createServer({ key, cert }, (req, res) => {
      this.handle(req, res).catch(() => send(res, [500, { error: { code: 'Internal', message: 'fake failed' } }]));
    });
    this.server = server;
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    this.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  /** Adds a new RSA-2048 version of key `name` (creating the key) and returns it. */
  addKey(name: string): FakeKey {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = { name, version: randomUUID().replaceAll('-', ''), ...pair };
    this.keys.set(name, [...(this.keys.get(name) ?? []), key]);
    return key;
  }

  /** A version of a key, the latest when `version` is empty. */
  key(name: string, version = ''): FakeKey | undefined {
    const versions = this.keys.get(name) ?? [];
    return version === '' ? versions.at(-1) : versions.find((k) => k.version === version);
  }

  /** A token as the token endpoint would issue it, for callers that bring their own token. */
  issueToken(): string {
    const token = `fake-token-${randomUUID()}`;
    this.tokens.add(token);
    return token;
  }

  close(): Promise<void> {
    return new Promise((done) => (this.server ? this.server.close(() => done()) : done()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', this.url).pathname;
    const method = req.method ?? 'GET';
    const config = [`/${this.tenant}/v2.0/.well-known/openid-configuration`, '/adfs/.well-known/openid-configuration'];
    if (method === 'GET' && config.includes(path)) {
      this.requests.push(`GET ${path}`);
      const issuer = `${this.url}/${this.tenant}`;
      const endpoints = { authorization_endpoint: `${issuer}/oauth2/v2.0/authorize`, issuer };
      return send(res, [200, { ...endpoints, token_endpoint: `${issuer}/oauth2/v2.0/token` }]);
    }
    if (method === 'POST' && path === `/${this.tenant}/oauth2/v2.0/token`) return send(res, this.token(path, body));
    this.requests.push(`${method} ${path}`);
    return send(res, this.vault(method, path, req.headers.authorization ?? '', body));
  }

  /** The client-credentials grant, with a client secret or a federated client assertion. */
  private token(path: string, body: string): Reply {
    const form = new URLSearchParams(body);
    const scope = (form.get('scope') ?? '').split(' ').find((s) => s.endsWith('/.default')) ?? '';
    this.requests.push(`POST ${path} scope=${scope}`);
    const bySecret = form.get('client_secret') === this.clientSecret;
    const byAssertion =
      form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' &&
      form.get('client_assertion') === this.assertion;
    if (form.get('grant_type') !== 'client_credentials' || scope === '') {
      return [400, { error: 'invalid_request', error_description: 'AADSTS900144: fake wants client_credentials' }];
    }
    if (form.get('client_id') !== this.clientId || !(bySecret || byAssertion)) {
      return [401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' }];
    }
    const token = this.issueToken();
    return [200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token }];
  }

  private vault(method: string, path: string, authorization: string, body: string): Reply {
    if (this.outage) return azureError(503, 'ServiceUnavailable', 'The fake Key Vault is down.');
    if (!authorization.startsWith('Bearer ') || !this.tokens.has(authorization.slice(7))) {
      const challenge = `Bearer authorization="${this.url}/${this.tenant}", resource="${this.challengeResource}"`;
      const reply = azureError(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.');
      return [reply[0], reply[1], { 'WWW-Authenticate': challenge }];
    }
    const [, root, name = '', ...rest] = path.split('/');
    const op = method === 'POST' ? rest.pop() : 'get';
    if (root !== 'keys' || name === '' || rest.length > 1 || !['get', 'encrypt', 'decrypt'].includes(op ?? '')) {
      return azureError(404, 'NotFound', 'The fake has no such route.');
    }
    if (this.deny) return azureError(403, 'Forbidden', `The caller does not have keys ${op} permission on the vault.`);
    const key = this.key(name, rest[0] ?? '');
    if (!key) return azureError(404, 'KeyNotFound', `A key with (name/id) ${name} was not found in this key vault.`);
    const kid = `${this.url}/keys/${key.name}/${key.version}`;
    if (op === 'get') {
      const jwk = key.publicKey.export({ format: 'jwk' });
      return [200, { key: { kid, kty: 'RSA', key_ops: ['encrypt', 'decrypt'], n: jwk.n, e: jwk.e } }];
    }
    let params: { alg?: unknown; value?: unknown } = {};
    try {
      params = JSON.parse(body) as typeof params;
    } catch {
      return azureError(400, 'BadParameter', 'The request body is not JSON.');
    }
    if (params.alg !== 'RSA-OAEP-256' || typeof params.value !== 'string') {
      return azureError(400, 'BadParameter', 'The fake wants alg RSA-OAEP-256 and a value.');
    }
    const input = Buffer.from(params.value, 'base64url');
    try {
      const out =
        op === 'encrypt' ? publicEncrypt(OAEP(key.publicKey), input) : privateDecrypt(OAEP(key.privateKey), input);
      return [200, { kid, value: out.toString('base64url') }];
    } catch {
      return azureError(400, 'BadParameter', 'Bad Request');
    }
  }
}

function send(res: ServerResponse, [status, body, headers = {}]: Reply): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}
