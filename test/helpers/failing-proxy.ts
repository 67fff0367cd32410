/**
 * A loopback proxy in front of a real server of the rig that passes on the first
 * `healthy` requests and then fails the way a server does when it goes away mid-run:
 * `stop` closes the listener and cuts every connection (refused from then on), `hang`
 * keeps accepting requests and never answers them. For outage tests.
 */

import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { forward } from './forward.js';

export interface FailingProxy {
  url: string;
  /** Requests seen, answered or not. */
  count(): number;
  close(): Promise<void>;
}

export async function startFailingProxy(target: string, healthy: number, mode: 'stop' | 'hang'): Promise<FailingProxy> {
  const to = new URL(target);
  const sockets = new Set<Socket>();
  const held: ServerResponse[] = [];
  let seen = 0;
  const server = createServer((req, res) => {
    seen++;
    if (seen <= healthy) return forward(to, req, res);
    if (mode === 'hang') {
      held.push(res);
      return;
    }
    server.close();
    for (const socket of sockets) socket.destroy();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    count: () => seen,
    close: async () => {
      for (const res of held.splice(0)) res.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
