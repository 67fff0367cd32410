/**
 * `keyward filestatus`: prints `{"encrypted":true}` when a file carries complete
 * SOPS metadata (a version and a MAC), `{"encrypted":false}` otherwise — like sops.
 */

import { Command } from 'commander';
import { loadEncrypted } from '../../src/index.js';
import { formats, inputTypeOption } from '../common.js';
import { readInput } from '../io.js';

export async function filestatusAction(file: string, flags: { inputType?: string }): Promise<void> {
  const { input } = formats(file, flags);
  const bytes = await readInput(file);
  let encrypted = false;
  try {
    const parsed = await loadEncrypted(bytes, input);
    encrypted = parsed.metadata.version !== '' && parsed.metadata.mac !== undefined;
  } catch {
    encrypted = false;
  }
  process.stdout.write(`${JSON.stringify({ encrypted })}\n`);
}

export function filestatusCommand(): Command {
  return new Command('filestatus')
    .description('tell whether a file is SOPS-encrypted: prints {"encrypted":true|false}')
    .argument('<file>', 'file to check')
    .addOption(inputTypeOption())
    .action(async (file: string, flags: { inputType?: string }) => filestatusAction(file, flags));
}
