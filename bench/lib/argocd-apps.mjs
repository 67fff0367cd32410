// The apps of bench/argocd.mjs: a third each plain YAML, Helm charts and Kustomize apps, in
// keyward's placeholder syntax or argocd-vault-plugin's, each in its own checkout laid out as
// cmp-server unpacks a request (`<work>/_cmp_server/<checkout>/apps/app-NNN`), and the commands
// argocd-vault-plugin documents for each kind.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const KINDS = ['plain', 'helm', 'kustomize'];

/** The secret value of app `i` under `key`. */
export const value = (i, key) => `${key}-${i}-${(i * 7919) % 1000}`;
export const SHARED_REGISTRY = 'registry-credential-0451';

const REF = {
  keyward: (path, key) => `<vault:secret/bench/${path}#${key}>`,
  avp: (path, key) => `<path:secret/data/bench/${path}#${key}>`,
};

const deployment = (name, i, checksum) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: ${name}\n  template:\n    metadata:\n      labels:\n        app: ${name}\n      annotations:\n        checksum/db: ${checksum}\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/example/app:1.0.${i}\n          envFrom:\n            - secretRef:\n                name: ${name}-db\n`;

/** Writes app `i` in `syntax` (keyward or avp) into `dir`; returns its kind. */
function writeApp(dir, syntax, i) {
  const kind = KINDS[i % 3];
  const ref = REF[syntax];
  const r = (key) => ref(`app-${i}`, key);
  const w = (file, text) => {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  };
  const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-${i}-db\nstringData:\n  username: ${r('username')}\n  password: ${r('password')}\n  token: ${r('token')}\n  registry: ${ref('shared', 'registry')}\n  url: postgres://${r('username')}:${r('password')}@db-${i}:5432/app\n`;
  const checksum = `"${r('password').replace(/>$/, ' | sha256sum>')}"`;
  if (kind === 'plain' || kind === 'kustomize') {
    w('secret.yaml', secret);
    w('deployment.yaml', deployment(`app-${i}`, i, checksum));
    if (kind === 'kustomize')
      w('kustomization.yaml', 'resources:\n  - secret.yaml\n  - deployment.yaml\ncommonLabels:\n  team: bench\n');
    return kind;
  }
  w('Chart.yaml', `apiVersion: v2\nname: app-${i}\nversion: 1.0.0\n`);
  w(
    'values.yaml',
    `db:\n  username: ${r('username')}\n  password: ${r('password')}\n  token: ${r('token')}\nregistry: ${ref('shared', 'registry')}\n`,
  );
  w(
    'templates/secret.yaml',
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-db\ndata:\n  username: {{ .Values.db.username | b64enc }}\n  password: {{ .Values.db.password | b64enc }}\nstringData:\n  token: {{ .Values.db.token | quote }}\n  registry: {{ .Values.registry | quote }}\n',
  );
  w('templates/deployment.yaml', deployment('{{ .Release.Name }}', i, checksum));
  return kind;
}

/**
 * `count` apps under `work` (cmp-server's work folder, ARGOCD_CMP_WORKDIR), one checkout each;
 * returns `{ i, dir, path, kind }` per app (`path` is ARGOCD_APP_SOURCE_PATH).
 */
export function writeApps(work, syntax, count) {
  const apps = [];
  for (let i = 0; i < count; i++) {
    const n = String(i).padStart(3, '0');
    const path = `apps/app-${n}`;
    const dir = join(work, '_cmp_server', `checkout-${n}`, path);
    apps.push({ i, dir, path, kind: writeApp(dir, syntax, i) });
  }
  return apps;
}

/** Whether a rendered app shows all its secret values (a chart's data holds them base64-encoded). */
export function complete(stdout, i) {
  const shown = (v) => stdout.includes(v) || stdout.includes(Buffer.from(v).toString('base64'));
  return ['pass', 'token'].every((key) => shown(value(i, key))) && stdout.includes(SHARED_REGISTRY);
}

/** argocd-vault-plugin's documented command for each kind of app. */
export const AVP_PIPELINES = {
  plain: ['argocd-vault-plugin', ['generate', '.']],
  helm: [
    'sh',
    ['-c', 'helm template "$ARGOCD_APP_NAME" -n "$ARGOCD_APP_NAMESPACE" . | argocd-vault-plugin generate -'],
  ],
  kustomize: ['sh', ['-c', 'kustomize build . | argocd-vault-plugin generate -']],
};
