/**
 * A loopback TCP listener for tests that must prove a provider sent NOTHING to a
 * server: it counts every connection and keeps every byte received (so a test can
 * look for a token in it), and answers anything with an HTTP 503 so a client that
 * does connect fails quickly. Plain TCP, so it also sees (and drops) a TLS handshake.
 */

import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';

export interface RecordingListener {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  /** Everything received so far, as latin1 text. */
  received(): string;
  close(): Promise<void>;
}

const REPLY =
  'HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}';

export async function startRecordingListener(): Promise<RecordingListener> {
  let count = 0;
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    count += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // a TLS handshake (record type 22) gets no answer it could use: the connection is dropped
      if (chunk[0] === 0x16) socket.destroy();
      else if (Buffer.concat(chunks).includes('\r\n\r\n')) socket.end(REPLY);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connections: () => count,
    received: () => Buffer.concat(chunks).toString('latin1'),
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}
