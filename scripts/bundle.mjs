// Bundles the CLI into dist/bundle/cli.cjs (one CommonJS script that cli/launch.cts
// compiles with a V8 code cache), then writes that cache by running two representative
// commands (encrypt, then decrypt, of the example file) with KEYWARD_WRITE_CODE_CACHE=1.
// age-encryption stays outside the bundle: only hybrid post-quantum keys and keygen load it.
// Usage: node scripts/bundle.mjs   (after tsc; part of `npm run build`)
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

await build({
  plugins: [lazyChildProcess],
  entryPoints: [join(root, 'dist', 'cli', 'entry.js')],
  outfile: join(out, 'cli.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['age-encryption'],
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': '__keywardBundleUrl' },
  // wrapped as one function expression for cli/launch.cts, which compiles it with vm.Script
  banner: {
    js: '(function (exports, require, module, __filename, __dirname) {"use strict";var __keywardBundleUrl = require("node:url").pathToFileURL(__filename).href;',
  },
  footer: { js: '})' },
  charset: 'ascii',
  minify: true,
  keepNames: false,
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
const temp = mkdtempSync(join(tmpdir(), 'keyward-bundle-'));
try {
  const plain = join(temp, 'plain.yaml');
  writeFileSync(plain, execFileSync(process.execPath, [launcher, 'decrypt', example], { env }));
  const recipient = 'age1yu4nfhg3d2a6c70vjs00qhteptwdp82hseryqk4g02xxlufy998q9dcl04';
  execFileSync(process.execPath, [launcher, 'encrypt', '--age', recipient, plain], { env, stdio: 'ignore' });
  execFileSync(process.execPath, [launcher, 'decrypt', example], { env, stdio: 'ignore' });
} finally {
  rmSync(temp, { recursive: true, force: true });
}
