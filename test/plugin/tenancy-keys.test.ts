/**
 * Identities stay with their owners. A tenant decrypts only with its own age key (the
 * sidecar's operator key and default key files are not its), so team a's SOPS file
 * copied into team b's repository stays sealed. A SOPS file names the servers of its
 * remote keys: the sidecar's Vault token goes only to VAULT_ADDR's origin and its
 * Azure token only to Azure's Key Vault domains, compared as parsed URLs, so a file
 * pointing at a listener of the app author's (also as `http://vault@listener`) gets no
 * connection at all. And the Vault token cache answers only the login material that
 * made the token: a known user name with a wrong password, or a role id with a wrong
 * secret id, logs in (and fails) instead of taking the cached token.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { keyward, tempDir } from '../helpers/proc.js';
import { startTenancy, type TenancyRig } from '../helpers/tenancy.js';
import { canariesOf, expectRefused, type Mode, type Resident, render, startResident } from '../helpers/tenancy-run.js';
import { authMount, readPolicy, vaultAddr, vaultAdmin } from '../helpers/vault.js';

const dir = tempDir();
let rig: TenancyRig;
let resident: Resident;
let listener: Server;
let port = 0;
const connections: Socket[] = [];
const AZURE_TOKEN = `azure-token-canary-${Date.now()}`;

beforeAll(async () => {
  rig = await startTenancy(dir);
  resident = await startResident(join(dir, 'serve'), rig.sidecar);
  listener = createServer((socket) => {
    connections.push(socket);
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as { port: number }).port;
});

afterAll(async () => {
  resident?.stop();
  await rig?.close();
  await new Promise((resolve) => listener?.close(resolve));
});

/** Team b's data file with its age key replaced by `keys` (an hc_vault or azure_kv entry). */
function pointedAt(keys: Record<string, unknown>): string {
  const doc = parse(rig.sopsFile('b')) as { sops: Record<string, unknown> };
  delete doc.sops.age;
  Object.assign(doc.sops, keys);
  return stringify(doc);
}

const stamp = { created_at: '2026-11-01T00:00:00Z' };

function appWithFile(name: string, text: string, reference: string) {
  const repo = rig.checkout('b');
  mkdirSync(join(repo, 'apps', 'x'), { recursive: true });
  writeFileSync(join(repo, 'apps', 'x', name), text);
  writeFileSync(
    join(repo, 'apps', 'x', 'secret.yaml'),
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\nstringData:\n  value: <sops:${reference}#pw>\n`,
  );
  return { repo, path: 'apps/x', team: 'b' as const };
}

describe.each<Mode>(['generate', 'serve'])('identities, %s', (mode) => {
  it("team a's SOPS file copied into team b's repository cannot be decrypted by team b", async () => {
    const app = appWithFile('copied.enc.yaml', rig.sopsFile('a'), 'copied.enc.yaml');
    const res = await render(rig.sidecar, app, mode, resident);
    expectRefused(res, 'copied.enc.yaml', canariesOf({ ...rig.canary.a }), resident);
    expect(res.stderr).toMatch(/age/);
  });

  it("the sidecar's Vault and Azure tokens never go to a server the file names", async () => {
    const vault = new URL(vaultAddr());
    const transit = (vault_address: string) => ({
      hc_vault: [{ vault_address, engine_path: 'transit', key_name: 'k', ...stamp, enc: 'vault:v1:AAAA' }],
    });
    const azure = {
      azure_kv: [{ vault_url: `https://127.0.0.1:${port}`, name: 'k', version: 'v1', ...stamp, enc: 'AAAA' }],
    };
    const files: [string, Record<string, unknown>, string][] = [
      ['listener', transit(`http://127.0.0.1:${port}`), 'is not in SOPS_HC_VAULT_ALLOWLIST'],
      ['userinfo', transit(`http://${vault.host}@127.0.0.1:${port}`), 'vault_address must be http(s)://host[:port]'],
      ['azure', azure, 'is not in KEYWARD_AZURE_KV_ALLOWLIST'],
    ];
    for (const env of [rig.single, rig.sidecar]) {
      for (const [name, keys, why] of files) {
        const app = appWithFile(`${name}.enc.yaml`, pointedAt(keys), `${name}.enc.yaml`);
        const res = await render({ ...env, AZURE_ACCESS_TOKEN: AZURE_TOKEN }, app, mode, resident);
        expectRefused(res, `${name}.enc.yaml`, [env.VAULT_TOKEN ?? '', AZURE_TOKEN], resident);
        expect(res.stderr).toContain(why);
      }
    }
    expect(connections.length).toBe(0);
  });
});

describe('the Vault token cache', () => {
  const render = (env: Record<string, string>) =>
    keyward(['render', '-'], {
      clean: true,
      input: `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  v: <vault:secret/${rig.prefix}/team-a/db#password>\n`,
      env: { VAULT_ADDR: vaultAddr(), KEYWARD_VAULT_TOKEN_CACHE: join(dir, 'cache-cli'), HOME: dir, ...env },
    });

  it('a user name with a wrong password, or a role id with a wrong secret id, never gets the cached token', async () => {
    const userpass = await authMount('userpass');
    await readPolicy(`${rig.prefix}-cache`, [`secret/data/${rig.prefix}/team-a/*`, 'sys/internal/ui/mounts/*']);
    await vaultAdmin(`${userpass}/users/team-a`, {
      password: 'right-password',
      token_policies: [`${rig.prefix}-cache`],
    });
    const user = { KEYWARD_VAULT_AUTH: 'userpass', KEYWARD_VAULT_AUTH_MOUNT: userpass, VAULT_USERNAME: 'team-a' };
    const good = await render({ ...user, VAULT_PASSWORD: 'right-password' });
    expect(good.stdout).toContain(rig.canary.a.vault);
    const wrong = await render({ ...user, VAULT_PASSWORD: 'wrong-password' });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).not.toContain(rig.canary.a.vault);
    expect((await render({ ...user, VAULT_PASSWORD: 'right-password' })).stderr).toBe('');

    const approle = await authMount('approle');
    await vaultAdmin(`${approle}/role/team-a`, { token_policies: [`${rig.prefix}-cache`] });
    const roleId = ((await vaultAdmin(`${approle}/role/team-a/role-id`)).data as { role_id: string }).role_id;
    const secretId = ((await vaultAdmin(`${approle}/role/team-a/secret-id`, {})).data as { secret_id: string })
      .secret_id;
    const role = { KEYWARD_VAULT_AUTH: 'approle', KEYWARD_VAULT_AUTH_MOUNT: approle, VAULT_ROLE_ID: roleId };
    expect((await render({ ...role, VAULT_SECRET_ID: secretId })).stdout).toContain(rig.canary.a.vault);
    const forged = await render({ ...role, VAULT_SECRET_ID: 'not-the-secret-id' });
    expect(forged.code).not.toBe(0);
    expect(forged.stdout).toBe('');
  });
});
