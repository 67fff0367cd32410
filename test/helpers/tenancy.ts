/**
 * Two teams on one Argo CD, set up for real: the rig's Vault with a jwt auth mount
 * that trusts the "sidecar's" service-account token, one role and one policy per team
 * (`argocd-team-a` reads only `secret/data/<prefix>/team-a/*`), age keys per team and
 * SOPS files encrypted by the real `sops` (each also to an operator key the sidecar
 * holds), a loopback FAKE Kubernetes API with a Secret per team namespace, and a
 * tenancy file mapping projects `team-a*` and `team-b*` to them. The sidecar's own
 * environment also holds credentials no tenant may use (a Vault token reading both
 * teams, the operator age key, ~/.vault-token and a default age key file in HOME).
 * Every value a team owns is a canary, looked for wherever the other team's runs write.
 */

import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { K8sApiFake } from '../fakes/k8s-api-fake.js';
import { RIG_BIN, toolPath } from '../rig/paths.js';
import { freshAgeKey } from './keys.js';
import { run } from './proc.js';
import { authMount, readPolicy, tokenWith, vaultAddr, vaultAdmin } from './vault.js';

export type Team = 'a' | 'b';
export const TEAMS: readonly Team[] = ['a', 'b'];
export const other = (t: Team): Team => (t === 'a' ? 'b' : 'a');

export interface Canaries {
  vault: string;
  sopsData: string;
  sopsManifest: string;
  k8s: string;
}

export interface TenancyRig {
  work: string;
  prefix: string;
  canary: Record<Team, Canaries>;
  /** The sidecar's environment with tenancy on. */
  sidecar: Record<string, string>;
  /** The sidecar's environment of a single-team install (team a's role and key, no tenancy). */
  single: Record<string, string>;
  tenantsFile: string;
  tokenCache: string;
  templateCache: string;
  home: string;
  k8s: K8sApiFake;
  /** A new checkout of team `t`'s repository in cmp-server's work folder. */
  checkout(t: Team): string;
  /** Each team's SOPS data file, for copies into the other team's repository. */
  sopsFile(t: Team): string;
  close(): Promise<void>;
}

const SUBJECT = 'system:serviceaccount:argocd:argocd-repo-server';

function saToken(key: ReturnType<typeof generateKeyPairSync>['privateKey']): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = `${part({ alg: 'ES256', typ: 'JWT' })}.${part({ sub: SUBJECT, aud: ['vault'], iat: now, exp: now + 3600 })}`;
  const signature = sign('sha256', Buffer.from(body), { key, dsaEncoding: 'ieee-p1363' });
  return `${body}.${signature.toString('base64url')}`;
}

/** `text` encrypted by the real sops to `recipients` (a YAML file written next to it first). */
async function sopsEncrypt(dir: string, name: string, text: string, recipients: string, extra: string[] = []) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  const res = await run(toolPath('sops'), ['encrypt', '--age', recipients, ...extra, file], { cwd: dir, clean: true });
  rmSync(file);
  if (res.code !== 0) throw new Error(`sops encrypt ${name}: ${res.stderr}`);
  return res.stdout;
}

const write = (path: string, text: string) => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
};

export async function startTenancy(dir: string): Promise<TenancyRig> {
  const prefix = `tenancy-${randomUUID().slice(0, 8)}`;
  const work = join(dir, 'cmp');
  const home = join(dir, 'home');
  const canary = Object.fromEntries(
    TEAMS.map((t) => [
      t,
      {
        vault: `vault-canary-${t}-${randomUUID()}`,
        sopsData: `sops-data-canary-${t}-${randomUUID()}`,
        sopsManifest: `sops-manifest-canary-${t}-${randomUUID()}`,
        k8s: `k8s-canary-${t}-${randomUUID()}`,
      },
    ]),
  ) as Record<Team, Canaries>;

  // Vault: a jwt mount trusting the sidecar's token, a role and a policy per team
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const mount = await authMount('jwt');
  await vaultAdmin(`${mount}/config`, {
    jwt_validation_pubkeys: [keys.publicKey.export({ type: 'spki', format: 'pem' })],
  });
  for (const t of TEAMS) {
    const yamlDoc = `a: !unknown-tag ${canary[t].vault}`;
    await vaultAdmin(`secret/data/${prefix}/team-${t}/db`, { data: { password: canary[t].vault, doc: yamlDoc } });
    await readPolicy(`${prefix}-${t}`, [`secret/data/${prefix}/team-${t}/*`, 'sys/internal/ui/mounts/*']);
    await vaultAdmin(`${mount}/role/argocd-team-${t}`, {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_subject: SUBJECT,
      bound_audiences: ['vault'],
      token_policies: [`${prefix}-${t}`],
      token_ttl: '1h',
    });
  }
  const jwtFile = join(dir, 'sidecar-sa-token');
  writeFileSync(jwtFile, saToken(keys.privateKey));

  // age keys: one per team, and the operator's, to which every file is encrypted too
  const ageKeys = { a: await freshAgeKey(dir, 'team-a'), b: await freshAgeKey(dir, 'team-b') };
  const operatorKey = await freshAgeKey(dir, 'operator');
  const sopsFiles = {} as Record<Team, { data: string; manifest: string }>;
  for (const t of TEAMS) {
    const to = `${ageKeys[t].recipient},${operatorKey.recipient}`;
    const data = await sopsEncrypt(dir, `data-${t}`, `pw: ${canary[t].sopsData}\n`, to);
    const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: team-${t}-api\nstringData:\n  token: ${canary[t].sopsManifest}\n`;
    const manifest = await sopsEncrypt(dir, `manifest-${t}`, secret, to, ['--encrypted-regex', '^(data|stringData)$']);
    sopsFiles[t] = { data, manifest };
  }

  // a FAKE Kubernetes API (no real one runs here): a Secret in each team's namespace
  const k8s = await new K8sApiFake().start(dir);
  for (const t of TEAMS) k8s.putSecret(`team-${t}`, 'db', { password: canary[t].k8s });
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, k8s.kubeconfig([{ name: 'sidecar', token: k8s.token(['*']), namespace: 'argocd' }]));

  // the sidecar's own credentials, which no tenant may use
  const everything = await tokenWith([`${prefix}-a`, `${prefix}-b`]);
  write(join(home, '.vault-token'), everything);
  write(join(home, '.config', 'sops', 'age', 'keys.txt'), readFileSync(operatorKey.file, 'utf8'));
  const tokenCache = join(dir, 'token-cache');
  const templateCache = join(dir, 'template-cache');
  const tenantsFile = join(dir, 'tenants.yaml');
  const tenant = (t: Team) =>
    [
      `  team-${t}:`,
      `    projects: [team-${t}, "team-${t}-*"]`,
      '    settings:',
      `      VAULT_ROLE: argocd-team-${t}`,
      `      SOPS_AGE_KEY_FILE: ${ageKeys[t].file}`,
      '    allow:',
      `      - "vault:secret/data/${prefix}/team-${t}/*"`,
      '      - "k8s:{namespace}/*"',
      '      - "sops:*"',
    ].join('\n');
  writeFileSync(tenantsFile, `tenants:\n${tenant('a')}\n${tenant('b')}\n`);
  const operator: Record<string, string> = {
    PATH: `${RIG_BIN}:${process.env.PATH ?? ''}`,
    HOME: home,
    ARGOCD_CMP_WORKDIR: work,
    VAULT_ADDR: vaultAddr(),
    KEYWARD_VAULT_AUTH: 'jwt',
    KEYWARD_VAULT_AUTH_MOUNT: mount,
    KEYWARD_VAULT_JWT_FILE: jwtFile,
    KEYWARD_VAULT_TOKEN_CACHE: tokenCache,
    KEYWARD_TEMPLATE_CACHE: templateCache,
    KUBECONFIG: kubeconfig,
    VAULT_TOKEN: everything,
    SOPS_AGE_KEY_FILE: operatorKey.file,
  };
  const sidecar = { ...operator, KEYWARD_TENANTS: tenantsFile };
  const single = { ...operator, VAULT_ROLE: 'argocd-team-a', SOPS_AGE_KEY_FILE: ageKeys.a.file };

  const checkout = (t: Team): string => {
    const repo = join(work, '_cmp_server', `${t}-${randomUUID().slice(0, 8)}`);
    const ref = (key: string) => `<vault:secret/${prefix}/team-${t}/db#${key}>`;
    write(
      join(repo, 'apps', 'plain', 'secret.yaml'),
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: team-${t}-db\nstringData:\n  password: ${ref('password')}\n  file: <sops:data.enc.yaml#pw>\n  k8s: <k8s:db#password>\n`,
    );
    write(join(repo, 'apps', 'plain', 'data.enc.yaml'), sopsFiles[t].data);
    write(join(repo, 'apps', 'plain', 'api.enc.yaml'), sopsFiles[t].manifest);
    write(join(repo, 'apps', 'helm', 'Chart.yaml'), `apiVersion: v2\nname: team-${t}\nversion: 1.0.0\n`);
    write(join(repo, 'apps', 'helm', 'values.yaml'), `password: ${ref('password')}\n`);
    write(
      join(repo, 'apps', 'helm', 'templates', 'secret.yaml'),
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}\nstringData:\n  password: {{ .Values.password | quote }}\n',
    );
    return repo;
  };
  return {
    work,
    prefix,
    canary,
    sidecar,
    single,
    tenantsFile,
    tokenCache,
    templateCache,
    home,
    k8s,
    checkout,
    sopsFile: (t) => sopsFiles[t].data,
    close: () => k8s.close(),
  };
}
