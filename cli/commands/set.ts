/**
 * `keyward set` and `keyward unset`: change one value of an encrypted file in
 * place. Only that value gets a new ciphertext; every other value keeps its IV
 * and so its exact bytes (clean Git diffs), as with sops.
 */

import { Command, Option } from 'commander';
import {
  FORMATS,
  type Format,
  formatForPath,
  isFormat,
  KeywardError,
  type Node,
  openEncrypted,
  parseJsonValue,
  parseTreePath,
  sealOpened,
  setAt,
  unsetAt,
} from '../../src/index.js';
import { parseIndent } from '../common.js';
import { cliContext } from '../context.js';
import { readInput, writeAtomic } from '../io.js';

interface SetFlags {
  inputType?: string;
  valueFile?: boolean;
  valueStdin?: boolean;
  idempotent?: boolean;
  indent?: string;
  ignoreMac?: boolean;
}

const formatOf = (file: string, type: string | undefined): Format => (isFormat(type) ? type : formatForPath(file));

async function valueText(value: string | undefined, flags: SetFlags): Promise<string> {
  if (flags.valueFile && flags.valueStdin)
    throw new KeywardError('usage', 'cannot use --value-file together with --value-stdin');
  if (flags.valueStdin) return new TextDecoder().decode(await readInput(undefined));
  if (value === undefined) throw new KeywardError('usage', 'set needs a value (or --value-stdin)');
  if (flags.valueFile) return new TextDecoder().decode(await readInput(value));
  return value;
}

function sameNode(a: Node | undefined, b: Node): boolean {
  const replacer = (_: string, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? [...v] : v);
  return a !== undefined && JSON.stringify(a, replacer) === JSON.stringify(b, replacer);
}

export async function setAction(file: string, path: string, value: string | undefined, flags: SetFlags): Promise<void> {
  const parts = parseTreePath(path);
  let node: Node;
  try {
    node = await parseJsonValue(await valueText(value, flags));
  } catch (err) {
    throw new KeywardError('invalid-set', 'set: the value must be valid JSON (quote strings: \'"text"\')', {
      cause: err,
    });
  }
  const format = formatOf(file, flags.inputType);
  const ctx = cliContext();
  const opened = await openEncrypted(await readInput(file), format, ctx, { ignoreMac: flags.ignoreMac ?? false });
  const [doc] = opened.tree.documents;
  if (!doc) throw new KeywardError('format', `${file}: the file has no document`);
  const previous = setAt(doc, parts, node);
  if (flags.idempotent && sameNode(previous, node)) return;
  const indent = parseIndent(flags.indent);
  await writeAtomic(file, await sealOpened(opened, format, ctx, indent !== undefined ? { indent } : {}));
}

export async function unsetAction(file: string, path: string, flags: SetFlags): Promise<void> {
  const parts = parseTreePath(path);
  const format = formatOf(file, flags.inputType);
  const ctx = cliContext();
  const opened = await openEncrypted(await readInput(file), format, ctx, { ignoreMac: flags.ignoreMac ?? false });
  const [doc] = opened.tree.documents;
  if (!doc || !unsetAt(doc, parts)) {
    if (flags.idempotent) return;
    throw new KeywardError('usage', `unset: ${path} not found in ${file}`);
  }
  const indent = parseIndent(flags.indent);
  await writeAtomic(file, await sealOpened(opened, format, ctx, indent !== undefined ? { indent } : {}));
}

const typeOption = () =>
  new Option('--input-type <type>', 'store of the file (default: by extension)').choices([...FORMATS]);

export function setCommand(): Command {
  return new Command('set')
    .description('set one value of an encrypted file in place; VALUE is JSON, e.g. \'"text"\', 5, {"a":1}')
    .argument('<file>', 'encrypted file')
    .argument('<path>', 'tree path, e.g. \'["db"]["password"]\'')
    .argument('[value]', 'JSON value (or a file name with --value-file)')
    .addOption(typeOption())
    .option('--value-file', 'VALUE names a file holding the JSON value')
    .option('--value-stdin', 'read the JSON value from stdin')
    .option('--idempotent', 'do not rewrite the file when the value is already set')
    .option('--ignore-mac', 'open the file even when its MAC does not match')
    .option('--indent <n>', 'indentation of YAML/JSON output')
    .action(async (file: string, path: string, value: string | undefined, flags: SetFlags) =>
      setAction(file, path, value, flags),
    );
}

export function unsetCommand(): Command {
  return new Command('unset')
    .description('remove one key or list item of an encrypted file in place')
    .argument('<file>', 'encrypted file')
    .argument('<path>', 'tree path, e.g. \'["db"]["password"]\'')
    .addOption(typeOption())
    .option('--idempotent', 'a missing path is not an error')
    .option('--ignore-mac', 'open the file even when its MAC does not match')
    .option('--indent <n>', 'indentation of YAML/JSON output')
    .action(async (file: string, path: string, flags: SetFlags) => unsetAction(file, path, flags));
}
