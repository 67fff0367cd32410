/**
 * `keyward argocd serve`: keyward resident in the plugin sidecar, so a generate does
 * not pay for starting Node.js. cmp-server runs `keyward-cmp` (a POSIX shell client,
 * plugin/keyward-cmp) for each app; it sends the app's folder, its arguments and its
 * whole environment over a unix socket that only the sidecar's user can open, and
 * prints the reply. When no server answers, the client runs `keyward argocd generate`
 * itself, so the server only ever saves time.
 *
 * The request body is the environment, `NAME=value` entries separated by NUL bytes
 * (`env -0`); headers X-Keyward-Dir and X-Keyward-Args (a JSON list) carry the folder
 * and the arguments. The reply is the exit code on the first line, stderr on the
 * second (without its last newline; backslashes and newlines escaped, for `printf %b`),
 * and stdout after that.
 */

import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';

export interface GenerateRequest {
  dir: string;
  env: Record<string, string>;
  args: string[];
}

export interface GenerateReply {
  code: number;
  stdout: string;
  stderr: string;
}

const LIMIT = 1024 * 1024;

/** The NUL-separated environment of a request. */
export function parseEnv(body: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of body.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** The reply as the client reads it: code, escaped stderr, then stdout. */
export const encodeReply = (r: GenerateReply): string =>
  `${r.code}\n${r.stderr.replace(/\n$/, '').replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n${r.stdout}`;

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > LIMIT) throw new Error('request too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Whether something already answers on `socket`. */
const answering = (socket: string) =>
  new Promise<boolean>((resolve) => {
    const probe = connect(socket, () => {
      probe.end();
      resolve(true);
    });
    probe.on('error', () => resolve(false));
  });

/** Serves generate requests on the unix socket `socket` (mode 0600) until the process ends. */
export async function serve(socket: string, handle: (req: GenerateRequest) => Promise<GenerateReply>): Promise<Server> {
  if (existsSync(socket)) {
    if (await answering(socket)) throw new Error(`argocd: a server already answers on ${socket}`);
    unlinkSync(socket);
  }
  const server = createServer((req, res) => {
    const send = (reply: GenerateReply) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(encodeReply(reply));
    };
    if (req.method !== 'POST' || req.url !== '/generate') {
      res.writeHead(404).end();
      return;
    }
    body(req)
      .then(async (text) => {
        const args: unknown = JSON.parse(String(req.headers['x-keyward-args'] ?? '[]'));
        const dir = String(req.headers['x-keyward-dir'] ?? '');
        if (!dir.startsWith('/') || !Array.isArray(args)) throw new Error('bad request');
        send(await handle({ dir, env: parseEnv(text), args: args.map(String) }));
      })
      .catch(() => send({ code: 1, stdout: '', stderr: 'keyward: argocd: the server could not read the request\n' }));
  });
  // the socket is made 0600 from the start: only the sidecar's user may connect
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => resolve());
    });
  } finally {
    process.umask(umask);
  }
  chmodSync(socket, 0o600);
  return server;
}
