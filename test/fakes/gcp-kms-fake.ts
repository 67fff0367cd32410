/**
 * A loopback FAKE of the Google Cloud KMS REST API, for tests only: it is not Google's
 * service and its ciphertexts mean nothing outside the process. It serves
 * `POST /v1/<key>:encrypt|decrypt` for any key name of the form
 * `projects/P/locations/L/keyRings/R/cryptoKeys/K` (AES-256-GCM under a random in-memory key per name, the name bound as AAD),
 * checks `Authorization: Bearer <token>` (401/403 with Google-style error JSON), answers
 * 404 for names in `missing` and a chosen status while `failWith` is set. It also
 * plays the OAuth token endpoint (`POST /token`: the service_account JWT grant, its
 * RS256 signature checked with the given public key, and the authorized_user refresh
 * grant) and the GCE metadata token path. Every request is logged in `requests`.
 */

import { createCipheriv, createDecipheriv, createVerify, type KeyObject, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGcpKmsOptions {
  /** The bearer token KMS calls must carry; also what the token endpoints hand out. */
  token: string;
  /** Service account whose signed JWTs `/token` accepts. */
  serviceAccount?: { email: string; publicKey: KeyObject };
  /** authorized_user refresh grant that `/token` accepts. */
  refresh?: { clientId: string; clientSecret: string; refreshToken: string };
}

export interface FakeRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  auth: string;
  body: string;
}

export interface FakeGcpKms {
  url: string;
  requests: FakeRequest[];
  /** Key names answered with 404 NOT_FOUND. */
  missing: Set<string>;
  /** While set, every KMS call fails with this HTTP status (e.g. 503 UNAVAILABLE). */
  failWith: number | undefined;
  close(): Promise<void>;
}

const KMS_PATH = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/:]+):(encrypt|decrypt)$/;
const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  503: 'UNAVAILABLE',
};

function send(res: ServerResponse, code: number, body: object): void {
  res.writeHead(code, { 'Content-Type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

const googleError = (res: ServerResponse, code: number, message: string) =>
  send(res, code, { error: { code, message, status: STATUS[code] ?? 'UNKNOWN' } });

const b64 = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : '', 'base64');

export async function startFakeGcpKms(options: FakeGcpKmsOptions): Promise<FakeGcpKms> {
  const keys = new Map<string, Buffer>();
  const keyFor = (name: string): Buffer => {
    const key = keys.get(name) ?? randomBytes(32);
    keys.set(name, key);
    return key;
  };
  const tokenReply = { access_token: options.token, expires_in: 3600, token_type: 'Bearer' };

  function kms(res: ServerResponse, name: string, op: string, body: Record<string, unknown>) {
    if (fake.missing.has(name)) return googleError(res, 404, `CryptoKey ${name} not found.`);
    if (op === 'encrypt') {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keyFor(name), iv).setAAD(Buffer.from(name));
      const ct = Buffer.concat([cipher.update(b64(body.plaintext)), cipher.final()]);
      const ciphertext = Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64');
      return send(res, 200, { name: `${name}/cryptoKeyVersions/1`, ciphertext });
    }
    const blob = b64(body.ciphertext);
    try {
      const decipher = createDecipheriv('aes-256-gcm', keyFor(name), blob.subarray(0, 12));
      decipher.setAAD(Buffer.from(name)).setAuthTag(blob.subarray(12, 28));
      const plain = Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()]);
      send(res, 200, { plaintext: plain.toString('base64') });
    } catch {
      googleError(res, 400, 'Decryption failed: the ciphertext is invalid.');
    }
  }

  /** The JWT-bearer grant: RS256 signature, issuer, audience and scope all checked. */
  function jwtValid(assertion: string): boolean {
    const account = options.serviceAccount;
    const [head = '', claims = '', signature = ''] = assertion.split('.');
    if (!account) return false;
    const signed = createVerify('RSA-SHA256').update(`${head}.${claims}`);
    if (!signed.verify(account.publicKey, signature, 'base64url')) return false;
    let c: Record<string, unknown>;
    try {
      c = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return false;
    }
    const now = Date.now() / 1000;
    return (
      c.iss === account.email &&
      c.aud === `${fake.url}/token` &&
      String(c.scope).split(' ').includes('https://www.googleapis.com/auth/cloudkms') &&
      typeof c.exp === 'number' &&
      c.exp > now
    );
  }

  function token(res: ServerResponse, body: string): void {
    const form = new URLSearchParams(body);
    const grant = form.get('grant_type');
    const r = options.refresh;
    const ok =
      grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer'
        ? jwtValid(form.get('assertion') ?? '')
        : grant === 'refresh_token' &&
          r !== undefined &&
          form.get('client_id') === r.clientId &&
          form.get('client_secret') === r.clientSecret &&
          form.get('refresh_token') === r.refreshToken;
    if (ok) send(res, 200, tokenReply);
    else send(res, 400, { error: 'invalid_grant', error_description: 'the fake refused the grant' });
  }

  function handle(req: IncomingMessage, res: ServerResponse, body: string) {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (req.method === 'POST' && path === '/token') return token(res, body);
    if (path === '/computeMetadata/v1/instance/service-accounts/default/token') {
      if (req.headers['metadata-flavor'] !== 'Google') return send(res, 403, { error: 'missing Metadata-Flavor' });
      return send(res, 200, tokenReply);
    }
    const match = KMS_PATH.exec(path);
    if (req.method !== 'POST' || !match) return googleError(res, 404, `no such method ${path}`);
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ')) return googleError(res, 401, 'Request is missing required authentication.');
    if (auth !== `Bearer ${options.token}`) return googleError(res, 403, `Permission denied on resource ${match[1]}.`);
    if (fake.failWith !== undefined) return googleError(res, fake.failWith, 'The service is currently unavailable.');
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return googleError(res, 400, 'Invalid JSON payload received.');
    }
    kms(res, match[1] ?? '', match[2] ?? '', parsed);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const auth = req.headers.authorization ?? '';
      fake.requests.push({ method: req.method ?? '', url: req.url ?? '', auth, body });
      handle(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake: FakeGcpKms = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: [],
    missing: new Set(),
    failWith: undefined,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return fake;
}
