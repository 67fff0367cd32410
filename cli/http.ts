/**
 * The CLI's HTTP client for providers (Vault transit, GCP KMS, Azure Key Vault),
 * over node:http and node:https. Node.js's global fetch loads undici on first
 * use, which costs a short command more than the request itself; providers send a
 * string body and read a status and a JSON or text reply, which this covers.
 * CA certificates are Node.js's own (NODE_EXTRA_CA_CERTS adds to them); a request
 * with no answer for REQUEST_TIMEOUT_MS fails.
 */

import type { IncomingMessage } from 'node:http';
import type { HttpFetch, HttpRequest, HttpResponse } from '../src/index.js';

export const REQUEST_TIMEOUT_MS = 30_000;

function reply(res: IncomingMessage, text: string): HttpResponse {
  const status = res.statusCode ?? 0;
  return {
    ok: status >= 200 && status < 300,
    status,
    text: async () => text,
    json: async () => JSON.parse(text) as unknown,
  };
}

function client(protocol: string) {
  if (protocol === 'https:') return process.getBuiltinModule('node:https');
  if (protocol === 'http:') return process.getBuiltinModule('node:http');
  return undefined;
}

export interface HttpClientOptions {
  /** Requests with no answer for this long fail (default REQUEST_TIMEOUT_MS). */
  timeoutMs?: number;
  /** CA certificates to trust instead of Node.js's (tests with a self-signed server). */
  ca?: string | Buffer;
}

/** A client with its own timeout and, optionally, its own CA certificates. */
export const makeHttpFetch =
  ({ timeoutMs = REQUEST_TIMEOUT_MS, ca }: HttpClientOptions = {}): HttpFetch =>
  (url: string, init: HttpRequest = {}) =>
    new Promise<HttpResponse>((resolve, reject) => {
      const target = new URL(url);
      const http = client(target.protocol);
      if (!http) {
        reject(new TypeError(`${target.protocol} URLs are not supported`));
        return;
      }
      const body = init.body === undefined ? undefined : Buffer.from(init.body, 'utf8');
      const headers = { ...init.headers, ...(body ? { 'content-length': String(body.length) } : {}) };
      const request = http.request(
        target,
        {
          method: init.method ?? 'GET',
          headers,
          timeout: timeoutMs,
          ...((init.ca ?? ca) ? { ca: init.ca ?? ca } : {}),
          ...(init.insecure ? { rejectUnauthorized: false } : {}),
          ...(init.signal ? { signal: init.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve(reply(res, Buffer.concat(chunks).toString('utf8'))));
          res.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
      request.on('error', reject);
      request.end(body);
    });

export const httpFetch = makeHttpFetch();
