#!/usr/bin/env node
/**
 * The installed `keyward` command. It runs the CLI from one bundled script
 * (`dist/bundle/cli.cjs`, made by scripts/bundle.mjs) compiled with the V8 code
 * cache written at build time (`cli.cache`), so a short command skips resolving
 * and compiling some hundred modules. A cache that does not fit this Node.js is
 * ignored by V8 and the bundle is compiled as usual; without a bundle (a plain
 * `tsc` build) the ES module entry `main.js` runs instead. Libraries most runs do
 * not need are chunks of their own, each with its cache, loaded on first use: the
 * yaml library (`yaml.cjs`, for the full YAML reader) and the AWS SDK (`aws.cjs`,
 * for kms keys).
 *
 * KEYWARD_WRITE_CODE_CACHE=1 makes the run save the code caches of the scripts it
 * loaded (used only by the build, with representative commands).
 */

import fs = require('node:fs');
import path = require('node:path');
import vm = require('node:vm');

interface Entry {
  main(argv: readonly string[]): Promise<number>;
}

type ModuleFunction = (
  exports: object,
  require: (id: string) => unknown,
  module: { exports: object },
  file: string,
  dir: string,
) => void;

const bundleDir = path.join(__dirname, '..', 'bundle');
const bundleFile = path.join(bundleDir, 'cli.cjs');

/** Scripts run from the bundle directory, by name (`cli`, and chunks such as `yaml`), for saving their caches. */
const loaded = new Map<string, vm.Script>();

function readCache(name: string): Buffer | undefined {
  try {
    return fs.readFileSync(path.join(bundleDir, `${name}.cache`));
  } catch {
    return undefined;
  }
}

/** Runs `<name>.cjs` from the bundle directory with its code cache; returns its exports. */
function runScript(name: string): unknown {
  const file = path.join(bundleDir, `${name}.cjs`);
  // bundles are ASCII and already wrapped as a function expression (scripts/bundle.mjs): read as latin1,
  // which skips UTF-8 decoding, and hand them to V8 without another copy
  const source = fs.readFileSync(file, 'latin1');
  const cachedData = readCache(name);
  const script = new vm.Script(source, { filename: file, ...(cachedData ? { cachedData } : {}) });
  loaded.set(name, script);
  const module = { exports: {} };
  (script.runInThisContext() as ModuleFunction)(module.exports, bundleRequire, module, file, bundleDir);
  return module.exports;
}

const CHUNK = 'keyward-chunk:';
const chunks = new Map<string, unknown>();

/** The bundle's `require`: `keyward-chunk:<name>` loads a chunk (yaml, aws) on first use. */
function bundleRequire(id: string): unknown {
  if (!id.startsWith(CHUNK)) return require(id);
  const name = id.slice(CHUNK.length);
  if (!chunks.has(name)) {
    chunks.set(name, fs.existsSync(path.join(bundleDir, `${name}.cjs`)) ? runScript(name) : require(name));
  }
  return chunks.get(name);
}

function saveCaches(): void {
  for (const [name, script] of loaded) {
    const cacheFile = path.join(bundleDir, `${name}.cache`);
    const temp = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(temp, script.createCachedData());
    fs.renameSync(temp, cacheFile);
  }
}

interface VersionModule {
  isVersionOnly(argv: readonly string[]): boolean;
  VERSION: string;
}

async function start(argv: readonly string[]): Promise<void> {
  // `--version` answers before the bundle is read. version.js is an ES module without top-level await;
  // requiring it starts Node's ES module loader, so only one-word invocations pay for that
  if (argv.length === 1) {
    const version = require('./version.js') as VersionModule;
    if (version.isVersionOnly(argv)) {
      process.stdout.write(`${version.VERSION}\n`);
      return;
    }
  }
  if (!fs.existsSync(bundleFile)) {
    await import('./main.js');
    return;
  }
  const entry = runScript('cli') as Entry;
  process.exitCode = await entry.main(argv);
  if (process.env.KEYWARD_WRITE_CODE_CACHE === '1') saveCaches();
  else if (flushed(process.stdout) && flushed(process.stderr)) process.exit();
}

/**
 * Whether everything written to a stream has gone out (pipes, files and terminals are
 * written synchronously on Linux). Then the run can end at once instead of idling
 * through V8's clean-up tasks (a scavenge of a few milliseconds) before Node.js exits;
 * a write still queued, or a failed one (its error handler sets the exit code), waits.
 */
function flushed(stream: NodeJS.WriteStream): boolean {
  return stream.writableLength === 0 && !stream.destroyed && !stream.errored;
}

void start(process.argv.slice(2));
