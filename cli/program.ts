/**
 * The commander program: every keyward command with its flags, help text and the
 * mapping of typed core errors to exit codes.
 */

import { Command, CommanderError } from 'commander';
import { asKeywardError } from '../src/index.js';
import { agentCommand, launchCommand } from './commands/agent.js';
import { argocdCommand } from './commands/argocd.js';
import { checkCommand } from './commands/check.js';
import { decryptCommand } from './commands/decrypt.js';
import { editCommand } from './commands/edit.js';
import { encryptCommand } from './commands/encrypt.js';
import { execEnvCommand, execFileCommand } from './commands/exec.js';
import { filestatusCommand } from './commands/filestatus.js';
import { groupsCommand } from './commands/groups.js';
import { keygenCommand } from './commands/keygen.js';
import { rotateCommand, updatekeysCommand } from './commands/keys.js';
import { renderCommand } from './commands/render.js';
import { setCommand, unsetCommand } from './commands/set.js';
import { webhookCommand } from './commands/webhook.js';
import { EXIT, EXIT_HELP, exitCodeFor } from './exit-codes.js';
import { takeGlobalOptions } from './global-options.js';
import { VERSION } from './version.js';

const COMMANDS = new Map<string, () => Command>([
  ['encrypt', encryptCommand],
  ['decrypt', decryptCommand],
  ['edit', editCommand],
  ['set', setCommand],
  ['unset', unsetCommand],
  ['rotate', rotateCommand],
  ['updatekeys', updatekeysCommand],
  ['groups', groupsCommand],
  ['filestatus', filestatusCommand],
  ['exec-env', execEnvCommand],
  ['exec-file', execFileCommand],
  ['keygen', keygenCommand],
  ['render', renderCommand],
  ['check', checkCommand],
  ['argocd', argocdCommand],
  ['agent', agentCommand],
  ['launch', launchCommand],
  ['webhook', webhookCommand],
]);

/**
 * The program for `argv`. When argv starts with a command's name only that command is
 * defined (a few milliseconds less at every start); top-level help, `help <command>`,
 * options before the command and misspelt commands get the whole program.
 */
export function buildProgram(argv: readonly string[] = []): Command {
  const program = new Command('keyward')
    .description('Secrets for GitOps: read and write SOPS files, byte-compatible with sops.')
    .version(VERSION, '-v, --version', 'print the keyward version')
    .showHelpAfterError('(run with --help for usage)')
    .usage('[--config <path>] [--decryption-order <types>] <command> [options]')
    .addHelpText('after', `\n${EXIT_HELP}\n`);
  const only = COMMANDS.get(argv[0] ?? '');
  for (const make of only ? [only] : COMMANDS.values()) program.addCommand(make());
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const command of all(program)) command.exitOverride();
  return program;
}

export async function run(argv: readonly string[]): Promise<number> {
  try {
    const globals = takeGlobalOptions(argv);
    Object.assign(process.env, globals.env);
    await buildProgram(globals.argv).parseAsync(globals.argv, { from: 'user' });
    // exec-env / exec-file pass their child's exit code on through process.exitCode
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed the help, the version or its usage message
      return err.exitCode === 0 ? EXIT.ok : EXIT.conflictingParameters;
    }
    const failure = asKeywardError(err);
    process.stderr.write(`keyward: ${failure.message}\n`);
    return exitCodeFor(failure.code);
  }
}
