/**
 * `keyward keygen`: creates a new age identity (X25519), writes it to stdout or
 * to a new 0600 file, and prints its public recipient on stderr, like age-keygen.
 */

import { Command } from 'commander';
import { KeywardError } from '../../src/index.js';
import { writeAtomic } from '../io.js';

interface KeygenFlags {
  output?: string;
}

export async function keygenAction(flags: KeygenFlags): Promise<void> {
  const { generateX25519Identity, identityToRecipient } = await import('age-encryption');
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  const text = `# created: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}\n# public key: ${recipient}\n${identity}\n`;
  if (flags.output && flags.output !== '-') {
    try {
      const { access } = await import('node:fs/promises');
      await access(flags.output);
    } catch {
      await writeAtomic(flags.output, text, 0o600);
      process.stderr.write(`Public key: ${recipient}\n`);
      return;
    }
    throw new KeywardError('usage', `${flags.output}: file exists; refusing to overwrite an identity`);
  }
  process.stderr.write(`Public key: ${recipient}\n`);
  process.stdout.write(text);
}

export function keygenCommand(): Command {
  return new Command('keygen')
    .description('create a new age identity (private key) for encrypting SOPS files')
    .option('-o, --output <path>', 'write the identity to a new file (mode 0600) instead of stdout')
    .action(async (flags: KeygenFlags) => keygenAction(flags));
}
