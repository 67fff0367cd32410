/**
 * The CLI's HTTP client (cli/http.ts), which providers use instead of the global
 * fetch: status and JSON replies, request bodies and headers as sent, a server that
 * never answers (timeout), an aborted request, a refused connection and a URL
 * scheme it does not speak.
 */

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFetch, makeHttpFetch } from '../../cli/http.js';

let server: Server;
let base = '';
const seen: { method: string; url: string; header: string; body: string }[] = [];

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await bodyOf(req);
    seen.push({ method: req.method ?? '', url: req.url ?? '', header: String(req.headers['x-test']), body });
    if (req.url === '/silent') return; // never answers
    if (req.url === '/missing') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":["no such key"]}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ echo: body, ü: 'ü' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('the CLI HTTP client', () => {
  it('sends method, headers and a UTF-8 body; reads status and JSON', async () => {
    const res = await httpFetch(`${base}/ok?x=1`, { method: 'POST', headers: { 'X-Test': 'yes' }, body: '{"a":"é"}' });
    expect(res.ok).toBe(true);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ echo: '{"a":"é"}', ü: 'ü' });
    expect(seen.at(-1)).toEqual({ method: 'POST', url: '/ok?x=1', header: 'yes', body: '{"a":"é"}' });
  });

  it('an error status is a reply, not an exception', async () => {
    const res = await httpFetch(`${base}/missing`);
    expect([res.ok, res.status]).toEqual([false, 404]);
    expect(await res.text()).toBe('{"errors":["no such key"]}');
  });

  it('a server that never answers fails after the timeout', async () => {
    const started = Date.now();
    await expect(makeHttpFetch({ timeoutMs: 300 })(`${base}/silent`)).rejects.toThrow('no answer within 0.3 s');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('an abort signal stops the request', async () => {
    const controller = new AbortController();
    const pending = httpFetch(`${base}/silent`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toThrow(/abort/i);
  });

  it('a refused connection and an unknown scheme are errors', async () => {
    await expect(httpFetch('http://127.0.0.1:9/')).rejects.toThrow(/ECONNREFUSED/);
    await expect(httpFetch('ftp://127.0.0.1/')).rejects.toThrow('ftp: URLs are not supported');
  });
});
