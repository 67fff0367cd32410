/**
 * The commander program: every keyward command with its flags, help text and the
 * mapping of typed core errors to exit codes.
 */

import { Command, CommanderError } from 'commander';
import { asKeywardError } from '../src/index.js';
import { EXIT, EXIT_HELP, exitCodeFor } from './exit-codes.js';
import { takeGlobalOptions } from './global-options.js';
import { VERSION } from './version.js';

/** Each command's module loads only when the command runs (or for the whole help): a start pays for one. */
const COMMANDS = new Map<string, () => Promise<Command>>([
  ['encrypt', async () => (await import('./commands/encrypt.js')).encryptCommand()],
  ['decrypt', async () => (await import('./commands/decrypt.js')).decryptCommand()],
  ['edit', async () => (await import('./commands/edit.js')).editCommand()],
  ['set', async () => (await import('./commands/set.js')).setCommand()],
  ['unset', async () => (await import('./commands/set.js')).unsetCommand()],
  ['rotate', async () => (await import('./commands/keys.js')).rotateCommand()],
  ['updatekeys', async () => (await import('./commands/keys.js')).updatekeysCommand()],
  ['groups', async () => (await import('./commands/groups.js')).groupsCommand()],
  ['filestatus', async () => (await import('./commands/filestatus.js')).filestatusCommand()],
  ['exec-env', async () => (await import('./commands/exec.js')).execEnvCommand()],
  ['exec-file', async () => (await import('./commands/exec.js')).execFileCommand()],
  ['keygen', async () => (await import('./commands/keygen.js')).keygenCommand()],
  ['render', async () => (await import('./commands/render.js')).renderCommand()],
  ['check', async () => (await import('./commands/check.js')).checkCommand()],
  ['argocd', async () => (await import('./commands/argocd.js')).argocdCommand()],
  ['agent', async () => (await import('./commands/agent.js')).agentCommand()],
  ['launch', async () => (await import('./commands/agent.js')).launchCommand()],
  ['webhook', async () => (await import('./commands/webhook.js')).webhookCommand()],
]);

/**
 * The program for `argv`. When argv starts with a command's name only that command is
 * defined (a few milliseconds less at every start); top-level help, `help <command>`,
 * options before the command and misspelt commands get the whole program.
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('keyward')
    .description('Secrets for GitOps: read and write SOPS files, byte-compatible with sops.')
    .version(VERSION, '-v, --version', 'print the keyward version')
    .showHelpAfterError('(run with --help for usage)')
    .usage('[--config <path>] [--decryption-order <types>] <command> [options]')
    .addHelpText('after', `\n${EXIT_HELP}\n`);
  const only = COMMANDS.get(argv[0] ?? '');
  for (const make of only ? [only] : [...COMMANDS.values()]) program.addCommand(await make());
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const command of all(program)) command.exitOverride();
  return program;
}

export async function run(argv: readonly string[]): Promise<number> {
  try {
    const globals = takeGlobalOptions(argv);
    Object.assign(process.env, globals.env);
    await (await buildProgram(globals.argv)).parseAsync(globals.argv, { from: 'user' });
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
