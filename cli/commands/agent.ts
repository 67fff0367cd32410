/**
 * `keyward agent`: the in-pod agent the injector webhook adds (sidecar/agent/run.ts),
 * configured by KEYWARD_AGENT_CONFIG; `--install-launcher <dir>` instead copies the
 * env-mode launcher for the copy init container. `keyward launch -- program args…`
 * is the env-mode launcher itself (the same code as the self-contained
 * dist/bundle/launch.cjs the webhook runs in app containers).
 */

import { Command } from 'commander';
import type { AgentLog } from '../../sidecar/agent/agent.js';
import { parseAgentConfig } from '../../sidecar/agent/config.js';
import { installLauncher } from '../../sidecar/agent/files.js';
import { LAUNCH_EXIT, launch } from '../../sidecar/agent/launch.js';
import { runAgent } from '../../sidecar/agent/run.js';
import { AGENT_CONFIG_ENV, AGENT_PORT, LAUNCH_SETTINGS_ENV } from '../../sidecar/contract.js';
import { KeywardError } from '../../src/index.js';
import { httpFetch } from '../http.js';

interface AgentFlags {
  init?: boolean;
  initTimeout: string;
  listen: string;
  installLauncher?: string;
  verbose?: boolean;
}

/** One `keyward agent: …` line per event on stderr; core diagnostics only with --verbose. */
export function agentLog(verbose: boolean): AgentLog {
  const line = (message: string) => {
    process.stderr.write(`keyward agent: ${message}\n`);
  };
  return {
    event: line,
    info: line,
    warn: (message) => line(`warning: ${message}`),
    debug: (message) => {
      if (verbose) line(message);
    },
  };
}

async function agentAction(flags: AgentFlags): Promise<void> {
  const log = agentLog(flags.verbose ?? false);
  if (flags.installLauncher !== undefined) {
    for (const file of installLauncher(flags.installLauncher)) log.event(`installed ${file}`);
    return;
  }
  const initTimeout = Number(flags.initTimeout);
  if (!Number.isFinite(initTimeout) || initTimeout < 0)
    throw new KeywardError('usage', 'agent: --init-timeout must be a number of seconds');
  const config = parseAgentConfig(process.env[AGENT_CONFIG_ENV]);
  process.exitCode = await runAgent({
    config,
    fetch: httpFetch,
    log,
    init: flags.init ?? false,
    initTimeout,
    listen: flags.listen,
  });
}

const AGENT_HELP = `
Configuration: the environment variable ${AGENT_CONFIG_ENV}, JSON written by the keyward webhook:
  {"settings": {"VAULT_ADDR": "…", "KEYWARD_VAULT_AUTH": "kubernetes", "VAULT_ROLE": "app", …},
   "dir": "/keyward/secrets", "interval": 300,
   "secrets": [{"name": "db", "source": "<vault:secret/app#password>", "file": "db", "mode": 256}],
   "reload": {"signal": "SIGHUP", "process": "nginx"}}
The core settings come from "settings" only (not from the agent's environment): VAULT_ADDR,
KEYWARD_VAULT_AUTH (kubernetes or jwt), VAULT_ROLE, KEYWARD_VAULT_AUTH_MOUNT, and the token file
AVP_K8S_TOKEN_PATH (kubernetes) or KEYWARD_VAULT_JWT_FILE (jwt), re-read at every login.
A source is text with placeholders; a whole secret (<vault:secret/app>) is written as JSON. A mode is
a number (256 is 0o400); a file is relative to "dir", without "..".

Sidecar mode (the default) serves GET /readyz (503 until the first complete render, then 200),
/healthz and /metrics (Prometheus), re-renders every "interval" seconds, writes only files whose
content changed (atomically), keeps the last good files while a backend is down, and after a change
sends reload.signal to the processes named reload.process (needs shareProcessNamespace).

Exit codes:
  0  --init rendered every secret; --install-launcher copied; stopped by SIGTERM or SIGINT
  1  --init could not render within --init-timeout; bad core settings (e.g. no VAULT_ADDR)
  2  --listen cannot be bound, or --install-launcher cannot write its folder
  8  ${AGENT_CONFIG_ENV} is missing or invalid, or an option is wrong`;

export function agentCommand(): Command {
  return new Command('agent')
    .description('the in-pod agent: render secrets into files, keep them current, serve /readyz and /metrics')
    .option('--init', 'render once and exit (an init container)')
    .option('--init-timeout <seconds>', 'how long --init retries before it fails', '120')
    .option('--listen <host:port>', 'address of /readyz, /healthz and /metrics', `0.0.0.0:${AGENT_PORT}`)
    .option('--install-launcher <dir>', 'copy node and the env launcher into <dir> (node, keyward-launch.cjs) and exit')
    .option('--verbose', 'also print the core diagnostics (never secret values)')
    .addHelpText('after', AGENT_HELP)
    .action(async (flags: AgentFlags) => agentAction(flags));
}

const LAUNCH_HELP = `
Resolves every environment variable whose value holds a placeholder (DB_PASSWORD=<vault:secret/app#password>)
with the core settings in ${LAUNCH_SETTINGS_ENV} (a JSON object; removed from the program's environment),
then runs the program with the resolved values: it replaces the launcher where Node.js has
process.execve, else it runs as a child with SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2
forwarded. If any variable cannot be resolved the program is not started.

Exit codes: the program's (128 + the signal's number when a signal ended it); ${LAUNCH_EXIT.unresolved} a variable could
not be resolved; ${LAUNCH_EXIT.usage} a bad ${LAUNCH_SETTINGS_ENV} or no program; ${LAUNCH_EXIT.cannotRun} the program cannot be started;
${LAUNCH_EXIT.notFound} the program was not found.`;

export function launchCommand(): Command {
  return new Command('launch')
    .description('run a program with the placeholders in its environment resolved (the env-mode launcher)')
    .usage('-- <program> [args...]')
    .argument('<command...>', 'the program and its arguments (after --)')
    .allowUnknownOption()
    .helpOption('-h, --help', 'show this help (before --)')
    .addHelpText('after', LAUNCH_HELP)
    .action(async (command: string[]) => {
      process.exitCode = await launch(command, httpFetch);
    });
}
