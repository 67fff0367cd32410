/**
 * `keyward exec-env` runs a command with the decrypted top-level values added to
 * its environment; `keyward exec-file` runs it with `{}` replaced by the path of
 * the decrypted file (a FIFO by default, or a 0600 temp file with --no-fifo).
 * The child's exit code is passed through and signals are forwarded to it.
 */

import { closeSync, constants, createWriteStream, openSync, readSync } from 'node:fs';
import { Command } from 'commander';
import { decryptBytes, KeywardError, type Node, valToString } from '../../src/index.js';
import { childProcess, formats, inputTypeOption, outputTypeOption } from '../common.js';
import { cliContext } from '../context.js';
import { readInput } from '../io.js';
import { privateTemp } from '../private-temp.js';

/** Runs `sh -c command`, forwarding signals; resolves with the exit code sops would give. */
function runShell(command: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = childProcess().spawn('sh', ['-c', command], { env, stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
    for (const [signal, handler] of handlers) process.on(signal, handler);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      for (const [s, handler] of handlers) process.off(s, handler);
      resolve(code ?? (signal ? 128 + (childProcess().spawnSync('sh', ['-c', `kill -l ${signal}`]).status ?? 1) : 1));
    });
  });
}

/** The environment form of a top-level value, or an error for nested values (never showing the value). */
export function envValue(key: string, node: Node): string | undefined {
  if (key.includes('=')) throw new KeywardError('format', `exec-env: key ${JSON.stringify(key)} contains "="`);
  if (node.t === 'null' || node.t === 'comment') return undefined;
  if (node.t === 'map' || node.t === 'seq') {
    throw new KeywardError('format', `exec-env: ${key}: cannot use a nested value in the environment`);
  }
  return valToString(node);
}

interface ExecFlags {
  inputType?: string;
  outputType?: string;
  pristine?: boolean;
  fifo?: boolean;
  filename?: string;
  ignoreMac?: boolean;
}

export async function execEnvAction(file: string, command: string, flags: ExecFlags): Promise<void> {
  const { input } = formats(file, flags);
  const result = await decryptBytes(
    await readInput(file),
    { inputFormat: input, ignoreMac: flags.ignoreMac ?? false },
    cliContext(),
  );
  const vars: Record<string, string> = {};
  for (const item of result.tree.documents[0]?.items ?? []) {
    if ('t' in item) continue;
    const value = envValue(item.key, item.value);
    if (value !== undefined) vars[item.key] = value;
  }
  const env = flags.pristine ? vars : { ...process.env, ...vars };
  process.exitCode = await runShell(command, env);
}

export async function execFileAction(file: string, command: string, flags: ExecFlags): Promise<void> {
  const { input, output } = formats(file, flags);
  const result = await decryptBytes(
    await readInput(file),
    { inputFormat: input, outputFormat: output, ignoreMac: flags.ignoreMac ?? false },
    cliContext(),
  );
  const temp = privateTemp('keyward-exec-');
  try {
    const name = flags.filename ?? 'tmp-file';
    let path: string;
    let feeding: Promise<void> = Promise.resolve();
    if (flags.fifo === false) path = temp.file(name, result.output);
    else {
      path = `${temp.dir}/${name}`;
      if (childProcess().spawnSync('mkfifo', ['-m', '600', path]).status !== 0)
        throw new KeywardError('output', 'exec-file: could not create a FIFO (try --no-fifo)');
      feeding = new Promise((resolve) => {
        const stream = createWriteStream(path);
        stream.on('error', () => resolve());
        stream.end(Buffer.from(result.output), () => resolve());
      });
    }
    process.exitCode = await runShell(command.replaceAll('{}', path), process.env);
    if (flags.fifo !== false) await releaseWriter(path, feeding);
  } finally {
    temp.remove();
  }
}

/**
 * Ends the FIFO's writer when the command did not read it all. The writer's open runs
 * on libuv's thread pool and may not have happened yet, so one open-and-close of a
 * reader can come too early and leave it waiting for ever: keep opening a reader,
 * draining what is there, until the writer is done (it finishes or gets EPIPE).
 */
async function releaseWriter(path: string, feeding: Promise<void>): Promise<void> {
  let done = false;
  void feeding.then(() => {
    done = true;
  });
  const buffer = Buffer.alloc(65536);
  for (let i = 0; !done && i < 500; i++) {
    try {
      const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        while (readSync(fd, buffer) > 0) {
          // discard what the command left unread
        }
      } catch {
        // EAGAIN: nothing more for now
      } finally {
        closeSync(fd);
      }
    } catch {
      return; // the FIFO is gone
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function execEnvCommand(): Command {
  return new Command('exec-env')
    .description('run a command (through sh -c) with the decrypted top-level values in its environment')
    .argument('<file>', 'encrypted file')
    .argument('<command>', 'command line to run')
    .addOption(inputTypeOption())
    .option('--pristine', 'give the command only the decrypted variables')
    .option('--ignore-mac', 'run even when the MAC does not match')
    .action(async (file: string, command: string, flags: ExecFlags) => execEnvAction(file, command, flags));
}

export function execFileCommand(): Command {
  return new Command('exec-file')
    .description('run a command with {} replaced by the path of the decrypted file (a FIFO unless --no-fifo)')
    .argument('<file>', 'encrypted file')
    .argument('<command>', 'command line to run; {} is replaced by the path')
    .addOption(inputTypeOption())
    .addOption(outputTypeOption())
    .option('--no-fifo', 'write a 0600 temp file instead of a FIFO')
    .option('--filename <name>', 'base name of the decrypted file', 'tmp-file')
    .option('--ignore-mac', 'run even when the MAC does not match')
    .action(async (file: string, command: string, flags: ExecFlags) => execFileAction(file, command, flags));
}
