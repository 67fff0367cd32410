/**
 * Builds the core's Context for a CLI run: settings from the environment, real
 * file and process access, and a logger on stderr that never sees secret values.
 */

import { mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Context, type Logger, type RunOptions, type RunResult, Settings } from '../src/index.js';
import { childProcess } from './common.js';
import { httpFetch } from './http.js';

/** keyward's diagnostics, one `keyward: …` line each, to stderr or to another sink (the plugin server's reply). */
export function stderrLogger(
  verbose: boolean,
  write: (line: string) => unknown = (line) => process.stderr.write(line),
): Logger {
  return {
    debug: (message) => {
      if (verbose) write(`keyward: ${message}\n`);
    },
    info: (message) => write(`keyward: ${message}\n`),
    warn: (message) => write(`keyward: warning: ${message}\n`),
  };
}

type Env = Readonly<Record<string, string | undefined>>;

/** Most stdout a program may print unless the caller says (it is killed beyond: EOVERFLOW), and the stderr kept. */
const MAX_PROGRAM_STDOUT = 256 * 1024 * 1024;
const MAX_PROGRAM_STDERR = 1024 * 1024;

function run(base: Env, command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = childProcess().spawn(command, args, {
      env: options.env ? { ...base, ...options.env } : base,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const maxStdout = options.maxStdout ?? MAX_PROGRAM_STDOUT;
    let outBytes = 0;
    let errBytes = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes <= maxStdout) out.push(chunk);
      else if (child.kill('SIGKILL'))
        reject(Object.assign(new Error(`${command} printed more than ${maxStdout} bytes`), { code: 'EOVERFLOW' }));
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (errBytes < MAX_PROGRAM_STDERR) err.push(chunk.subarray(0, MAX_PROGRAM_STDERR - errBytes));
      errBytes += chunk.length;
    });
    child.on('error', reject);
    child.stdin.on('error', () => undefined); // a program that exits without reading its input
    child.on('close', (code) =>
      resolve({
        code: code ?? 1,
        stdout: new Uint8Array(Buffer.concat(out)),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.end(options.input ?? undefined);
  });
}

export interface CliContextOptions {
  verbose?: boolean;
  extra?: Iterable<readonly [string, string]>;
  /** Settings made by the surface (the Argo CD plugin's), instead of the environment. */
  settings?: Settings;
  /** Where diagnostics go, instead of stderr. */
  log?: Logger;
  /** The environment of the programs keyward runs (helm, gpg…), instead of its own. */
  processEnv?: Env;
}

export function cliContext(options: CliContextOptions = {}): Context {
  const settings = (options.settings ?? Settings.fromRecord(process.env)).with(options.extra ?? []);
  return {
    settings,
    readFile: async (path) => new Uint8Array(readFileSync(path)),
    realPath: async (path) => realpathSync(path),
    writePrivateFile: async (path, data) => {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const temp = `${path}.${process.pid}.tmp`;
      writeFileSync(temp, data, { mode: 0o600 });
      renameSync(temp, path);
    },
    run: (command, args, runOptions) => run(options.processEnv ?? process.env, command, args, runOptions),
    fetch: httpFetch,
    now: () => new Date(),
    log: options.log ?? stderrLogger(options.verbose ?? false),
  };
}
