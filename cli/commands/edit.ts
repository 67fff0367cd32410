/**
 * `keyward edit`: decrypts into a 0600 file in a private temp folder, opens
 * $SOPS_EDITOR / $EDITOR (or vim, nano, vi), and re-encrypts with the same data key
 * so only changed values get new ciphertext. No change exits 200; the plaintext
 * file is removed on exit and on signals.
 */

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Command } from 'commander';
import { emitPlain, KeywardError, loadStore, openEncrypted, sealOpened } from '../../src/index.js';
import { childProcess, formats, inputTypeOption, parseIndent } from '../common.js';
import { cliContext } from '../context.js';
import { readInput, writeAtomic } from '../io.js';
import { privateTemp, splitCommand } from '../private-temp.js';

interface EditFlags {
  inputType?: string;
  ignoreMac?: boolean;
  indent?: string;
}

function onPath(program: string): boolean {
  return childProcess().spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

export function editorCommand(env: NodeJS.ProcessEnv = process.env): string[] {
  const configured = env.SOPS_EDITOR || env.EDITOR;
  if (configured) return splitCommand(configured);
  const found = ['vim', 'nano', 'vi'].find(onPath);
  if (!found) throw new KeywardError('no-editor', 'edit: no editor found; set $SOPS_EDITOR or $EDITOR');
  return [found];
}

async function askToRetry(reason: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  process.stderr.write(`keyward: ${reason}\n`);
  const rl = process
    .getBuiltinModule('node:readline/promises')
    .createInterface({ input: process.stdin, output: process.stderr });
  try {
    await rl.question('Press Enter to return to the editor, or Ctrl+C to give up. ');
    return true;
  } finally {
    rl.close();
  }
}

export async function editAction(file: string, flags: EditFlags): Promise<void> {
  const { input: format } = formats(file, flags);
  const ctx = cliContext();
  const opened = await openEncrypted(await readInput(file), format, ctx, { ignoreMac: flags.ignoreMac ?? false });
  const original = await emitPlain(opened.tree, format);
  const temp = privateTemp('keyward-edit-');
  try {
    const path = temp.file(basename(file), original);
    const [editor = 'vi', ...args] = editorCommand();
    const store = await loadStore(format);
    for (;;) {
      const result = childProcess().spawnSync(editor, [...args, path], { stdio: 'inherit' });
      if (result.error) throw new KeywardError('no-editor', `edit: could not run the editor ${JSON.stringify(editor)}`);
      if (result.status !== 0)
        throw new KeywardError('generic', `edit: the editor exited with status ${result.status}`);
      const edited = new Uint8Array(readFileSync(path));
      if (Buffer.from(edited).equals(Buffer.from(original))) {
        throw new KeywardError('not-modified', `${file}: file has not been modified`);
      }
      try {
        opened.tree = { documents: store.parsePlain(edited) };
        break;
      } catch (err) {
        const reason = err instanceof KeywardError ? err.message : 'the file could not be parsed';
        if (!(await askToRetry(reason))) throw err;
      }
    }
  } finally {
    temp.remove();
  }
  const indent = parseIndent(flags.indent);
  await writeAtomic(file, await sealOpened(opened, format, ctx, indent !== undefined ? { indent } : {}));
}

export function editCommand(): Command {
  return new Command('edit')
    .description('edit an encrypted file in $SOPS_EDITOR / $EDITOR; only changed values are re-encrypted')
    .argument('<file>', 'encrypted file')
    .addOption(inputTypeOption())
    .option('--ignore-mac', 'open the file even when its MAC does not match')
    .option('--indent <n>', 'indentation of YAML/JSON output')
    .action(async (file: string, flags: EditFlags) => editAction(file, flags));
}
