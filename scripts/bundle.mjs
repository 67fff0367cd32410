// Bundles the CLI into dist/bundle/cli.cjs (one CommonJS script that cli/launch.cts
// compiles with a V8 code cache) and the yaml library into dist/bundle/yaml.cjs, a chunk
// the launcher loads only when the full YAML reader runs (most sops files take the fast
// reader). Then writes both code caches by running representative commands with
// KEYWARD_WRITE_CODE_CACHE=1. The AWS SDK (KMS and STS clients) is a chunk too, `aws.cjs`,
// loaded only by kms keys, and so is the Kubernetes client, `k8s.cjs`, loaded only by the
// k8s backend, and the webhook's libraries, `web.cjs`, loaded only by `keyward webhook`. age-encryption stays outside: only hybrid post-quantum keys
// and keygen load it. The env-mode launcher of the injector is a separate, self-contained
// script, dist/bundle/launch.cjs (no code cache: node runs it directly in app containers).
// Usage: node scripts/bundle.mjs   (after tsc; part of `npm run build`)
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'bundle');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// commander requires child_process (and so net, dgram and the stream stack) when it loads, only to run
// external subcommands, which keyward has none of: hand it a stand-in that loads the real module on use.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes(`${'node_modules'}/commander/`)
        ? { path: 'lazy', namespace: 'lazy-child-process' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents:
        'module.exports = new Proxy({}, { get: (_, key) => process.getBuiltinModule("node:child_process")[key] });',
      loader: 'js',
    }));
  },
};

// keyward's imports of the yaml library become stand-ins that load the yaml chunk on first use
const yamlLib = await import('yaml');
const lazyYaml = {
  name: 'lazy-yaml',
  setup(b) {
    b.onResolve({ filter: /^yaml$/ }, (args) =>
      args.importer.includes(`${'node_modules'}/`) ? undefined : { path: 'yaml', namespace: 'lazy-yaml' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-yaml' }, () => {
      const names = Object.keys(yamlLib).filter((name) => name !== 'default' && typeof yamlLib[name] === 'function');
      const wrappers = names.map(
        (name) =>
          `export function ${name}(...a) { const f = load().${name}; return new.target ? new f(...a) : f(...a); }`,
      );
      return {
        contents: `let lib;\nconst load = () => (lib ??= require('keyward-chunk:yaml'));\n${wrappers.join('\n')}\n`,
        loader: 'js',
      };
    });
  },
};

// keyward's imports of the AWS SDK become stand-ins that load the aws chunk on first use
const AWS_MODULES = { '@aws-sdk/client-kms': 'kms', '@aws-sdk/client-sts': 'sts', '@aws-sdk/core/client': 'core' };
const lazyAws = {
  name: 'lazy-aws',
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\// }, (args) =>
      args.importer.includes(`${'node_modules'}/`) || !(args.path in AWS_MODULES)
        ? undefined
        : { path: args.path, namespace: 'lazy-aws' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-aws' }, (args) => ({
      contents: `module.exports = require('keyward-chunk:aws').${AWS_MODULES[args.path]};`,
      loader: 'js',
    }));
  },
};

// keyward's imports of the Kubernetes client become the k8s chunk, loaded only by the k8s backend
const lazyK8s = {
  name: 'lazy-k8s',
  setup(b) {
    b.onResolve({ filter: /^@kubernetes\/client-node$/ }, (args) =>
      args.importer.includes(`${'node_modules'}/`) ? undefined : { path: 'k8s', namespace: 'lazy-k8s' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-k8s' }, () => ({
      contents: "module.exports = require('keyward-chunk:k8s');",
      loader: 'js',
    }));
  },
};

// the webhook's libraries (express, the certificate maker) become the web chunk, loaded only by `keyward webhook`
const WEB_MODULES = { express: 'express', '@peculiar/x509': 'x509', 'reflect-metadata': 'reflect' };
const lazyWeb = {
  name: 'lazy-web',
  setup(b) {
    b.onResolve({ filter: /^(express|@peculiar\/x509|reflect-metadata)$/ }, (args) =>
      args.importer.includes(`${'node_modules'}/`) ? undefined : { path: args.path, namespace: 'lazy-web' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-web' }, (args) => ({
      contents: `module.exports = require('keyward-chunk:web').${WEB_MODULES[args.path]};`,
      loader: 'js',
    }));
  },
};

// wrapped as one function expression for cli/launch.cts, which compiles it with vm.Script
const wrapper = {
  banner: {
    js: '(function (exports, require, module, __filename, __dirname) {"use strict";var __keyward = { get url() { return require("node:url").pathToFileURL(__filename).href; } };',
  },
  footer: { js: '})' },
};

/** Builds `dist/bundle/<name>.cjs`: a library chunk the launcher loads on first use, wrapped like the CLI. */
async function chunk(name, contents, extra = {}) {
  await build({
    ...wrapper,
    stdin: { contents, resolveDir: root, loader: 'js' },
    outfile: join(out, `${name}.cjs`),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    charset: 'ascii',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    ...extra,
  });
}

await chunk('yaml', "module.exports = require('yaml');");

// only what kms.ts uses, from the SDK's ES module builds so that esbuild drops the rest (a third of the size)
const AWS_CHUNK = `import { KMSClient, EncryptCommand, DecryptCommand } from '@aws-sdk/client-kms';
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { state } from '@aws-sdk/core/client';
export const kms = { KMSClient, EncryptCommand, DecryptCommand };
export const sts = { STSClient, AssumeRoleCommand };
export const core = { state };`;
// the chunk runs as a vm.Script, which has no dynamic import(): esbuild turns the SDK's into require()
await chunk('aws', AWS_CHUNK, { mainFields: ['module', 'main'], supported: { 'dynamic-import': false } });

// only the kubeconfig loader and the core API the k8s backend uses
await chunk('k8s', "export { KubeConfig, CoreV1Api, Observable } from '@kubernetes/client-node';", {
  mainFields: ['module', 'main'],
  supported: { 'dynamic-import': false },
});

// reflect-metadata first: the certificate library needs its polyfill when it loads
await chunk(
  'web',
  "import 'reflect-metadata'; import express from 'express'; import * as x509 from '@peculiar/x509';\nexport { express, x509 }; export const reflect = {};",
  { mainFields: ['module', 'main'], supported: { 'dynamic-import': false } },
);

await build({
  ...wrapper,
  plugins: [lazyChildProcess, lazyYaml, lazyAws, lazyK8s, lazyWeb],
  entryPoints: [join(root, 'dist', 'cli', 'entry.js')],
  outfile: join(out, 'cli.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['age-encryption', 'keyward-chunk:yaml', 'keyward-chunk:aws', 'keyward-chunk:k8s', 'keyward-chunk:web'],
  supported: { 'dynamic-import': false },
  define: {
    'import.meta.url': '__keyward.url',
    __KEYWARD_VERSION__: JSON.stringify(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version),
  },
  charset: 'ascii',
  minify: true,
  keepNames: false,
  legalComments: 'none',
  logLevel: 'warning',
});

// The env-mode launcher, dist/bundle/launch.cjs: one self-contained script that `node launch.cjs -- program args`
// runs with nothing beside it (the webhook copies it and node into app containers). The core and its backends are
// inside; the Kubernetes client and the AWS SDK are not (stand-ins that fail with a clear error when used: the
// launcher resolves Vault, SOPS age, env and memory placeholders).
const unavailable = {
  name: 'launcher-unavailable',
  setup(b) {
    b.onResolve({ filter: /^(@kubernetes\/client-node|@aws-sdk\/.*)$/ }, (args) => ({
      path: args.path,
      namespace: 'launcher-unavailable',
    }));
    b.onLoad({ filter: /.*/, namespace: 'launcher-unavailable' }, (args) => ({
      contents: `const no = () => { throw new Error(${JSON.stringify(`${args.path} is not in the env launcher`)}); };
module.exports = new Proxy({}, { get: (_, key) => (key === '__esModule' ? false : no()) });`,
      loader: 'js',
    }));
  },
};
await build({
  stdin: {
    contents: `import { launch } from './dist/sidecar/agent/launch.js';
import { httpFetch } from './dist/cli/http.js';
launch(process.argv.slice(2), httpFetch).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write('keyward launch: internal error (' + (err && err.name) + ')\\n');
    process.exit(1);
  },
);`,
    resolveDir: root,
    loader: 'js',
  },
  plugins: [unavailable],
  outfile: join(out, 'launch.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  supported: { 'dynamic-import': false },
  banner: {
    js: '"use strict";var __keyward = { get url() { return require("node:url").pathToFileURL(__filename).href; } };',
  },
  define: { 'import.meta.url': '__keyward.url' },
  charset: 'ascii',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const launcher = join(root, 'dist', 'cli', 'launch.cjs');
chmodSync(launcher, 0o755);
const example = join(root, 'examples', 'secrets.enc.yaml');
const env = {
  ...process.env,
  KEYWARD_WRITE_CODE_CACHE: '1',
  SOPS_AGE_KEY_FILE: join(root, 'examples', 'dev-age-key.txt'),
  SOPS_CONFIG: '/dev/null',
};
const recipient = 'age1yu4nfhg3d2a6c70vjs00qhteptwdp82hseryqk4g02xxlufy998q9dcl04';
const temp = mkdtempSync(join(tmpdir(), 'keyward-bundle-'));
try {
  // first a file only the full YAML reader takes (an alias, a flow list, a folded block): this writes the yaml chunk's cache
  const full = join(temp, 'full.yaml');
  writeFileSync(full, 'a: 1 # same-line comment\nb: &x [1, "two"]\nc: *x\nd: >\n  folded\n');
  execFileSync(process.execPath, [launcher, 'encrypt', '--age', recipient, full], { env, stdio: 'ignore' });
  const plain = join(temp, 'plain.yaml');
  writeFileSync(plain, execFileSync(process.execPath, [launcher, 'decrypt', example], { env }));
  execFileSync(process.execPath, [launcher, 'encrypt', '--age', recipient, plain], { env, stdio: 'ignore' });
  execFileSync(process.execPath, [launcher, 'decrypt', example], { env, stdio: 'ignore' });
  // an in-pod agent's render (`<env:…>` from its own settings): puts the agent's code in the cache
  const agentConfig = {
    settings: { BUILD_VALUE: 'build' },
    dir: join(temp, 'agent'),
    interval: 60,
    secrets: [{ name: 'build', source: 'value: <env:BUILD_VALUE>', file: 'build', mode: 0o600 }],
  };
  execFileSync(process.execPath, [launcher, 'agent', '--init'], {
    env: { ...env, KEYWARD_AGENT_CONFIG: JSON.stringify(agentConfig) },
    stdio: 'ignore',
  });
  // a kms key against a port nobody listens on: loads and runs the aws chunk (the command fails, the cache is written)
  const kmsEnv = { ...env, AWS_ACCESS_KEY_ID: 'build', AWS_SECRET_ACCESS_KEY: 'build', AWS_MAX_ATTEMPTS: '1' };
  kmsEnv.AWS_ENDPOINT_URL_KMS = 'http://127.0.0.1:9';
  const arn = 'arn:aws:kms:eu-west-2:111122223333:key/00000000-0000-0000-0000-000000000000';
  try {
    execFileSync(process.execPath, [launcher, 'encrypt', '--kms', arn, plain], { env: kmsEnv, stdio: 'ignore' });
  } catch {
    // expected: nothing answers
  }
  // a k8s reference against a port nobody listens on: loads and runs the k8s chunk
  const kubeconfig = join(temp, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    'apiVersion: v1\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]\n' +
      'users: [{name: u, user: {token: build}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n' +
      'current-context: x\n',
  );
  const manifest = join(temp, 'k8s.yaml');
  writeFileSync(manifest, 'kind: Secret\nstringData:\n  a: <k8s:build/build#a>\n');
  try {
    execFileSync(process.execPath, [launcher, 'render', manifest], {
      env: { ...env, KUBECONFIG: kubeconfig },
      stdio: 'ignore',
    });
  } catch {
    // expected: nothing answers
  }
} finally {
  rmSync(temp, { recursive: true, force: true });
}
