/**
 * Passing one HTTP request on to a real server of the rig and its answer back, for
 * the loopback proxies tests put in front of Vault or local-kms. An upstream that
 * cannot be reached answers 502.
 */

import { type IncomingMessage, request, type ServerResponse } from 'node:http';

export function forward(to: URL, req: IncomingMessage, res: ServerResponse): void {
  const upstream = request(
    { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
    (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
    },
  );
  upstream.on('error', () => res.writeHead(502).end());
  req.pipe(upstream);
}
