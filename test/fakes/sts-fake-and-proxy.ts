/**
 * A loopback FAKE of AWS STS `AssumeRole` (no STS implementation runs on our
 * machines), plus a recording pass-through proxy in front of a real server of
 * the rig (local-kms, Vault). Together they show which role and session name a
 * client assumed, that its KMS calls were signed with the temporary credentials,
 * and which server a decryption asked; closing the proxy is an outage.
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forward } from '../helpers/forward.js';

export interface AssumeRoleCall {
  roleArn: string;
  sessionName: string;
  /** The access key id that signed the AssumeRole call. */
  signedBy: string;
}

export interface FakeSts {
  url: string;
  calls: AssumeRoleCall[];
  /** Role ARNs this fake refuses (AccessDenied). */
  deny: Set<string>;
  close(): Promise<void>;
}

/** Temporary access key ids handed out by the fake start with this. */
export const TEMP_KEY_PREFIX = 'ASIAKEYWARDFAKE';

const signer = (authorization: string | undefined): string =>
  /Credential=([^/]+)\//.exec(authorization ?? '')?.[1] ?? '';

async function body(req: import('node:http').IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

const close = (server: Server) => () => new Promise<void>((resolve) => server.close(() => resolve()));

function credentialsXml(n: number): string {
  return [
    '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>',
    `<Credentials><AccessKeyId>${TEMP_KEY_PREFIX}${n}</AccessKeyId><SecretAccessKey>fake-secret-${n}</SecretAccessKey>`,
    `<SessionToken>fake-session-${n}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>`,
    '<AssumedRoleUser><Arn>arn:aws:sts::111122223333:assumed-role/fake/fake</Arn>',
    '<AssumedRoleId>AROAFAKE:fake</AssumedRoleId></AssumedRoleUser>',
    '</AssumeRoleResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></AssumeRoleResponse>',
  ].join('');
}

export async function startFakeSts(): Promise<FakeSts> {
  const calls: AssumeRoleCall[] = [];
  const deny = new Set<string>();
  const server = createServer(async (req, res) => {
    const form = new URLSearchParams(await body(req));
    if (form.get('Action') !== 'AssumeRole') {
      res
        .writeHead(400, { 'content-type': 'text/xml' })
        .end('<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>');
      return;
    }
    const roleArn = form.get('RoleArn') ?? '';
    calls.push({
      roleArn,
      sessionName: form.get('RoleSessionName') ?? '',
      signedBy: signer(req.headers.authorization),
    });
    if (deny.has(roleArn)) {
      const error = '<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed (fake)</Message></Error>';
      res.writeHead(403, { 'content-type': 'text/xml' }).end(`<ErrorResponse>${error}</ErrorResponse>`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/xml' }).end(credentialsXml(calls.length));
  });
  return { url: await listen(server), calls, deny, close: close(server) };
}

export interface RecordingProxy {
  url: string;
  /** The AWS access key id that signed each request, in order ('' when unsigned). */
  signers: string[];
  /** The path of each request, in order. */
  paths: string[];
  close(): Promise<void>;
}

/** Forwards every request to `target` (a real server of the rig) and records who signed it. */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const signers: string[] = [];
  const paths: string[] = [];
  const to = new URL(target);
  const server = createServer((req, res) => {
    signers.push(signer(req.headers.authorization));
    paths.push(req.url ?? '');
    forward(to, req, res);
  });
  return { url: await listen(server), signers, paths, close: close(server) };
}
