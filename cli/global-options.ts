/**
 * sops's global options, given before the command (`sops --config ci.sops.yaml
 * encrypt …`), so that scripts written for sops run unchanged. Each one becomes the
 * environment variable sops reads for it, which every keyward command honours:
 * `--config` → SOPS_CONFIG, `--decryption-order` → SOPS_DECRYPTION_ORDER. Options that
 * only steer sops's own update check or local key service are accepted and ignored.
 */

import { KeywardError } from '../src/index.js';

interface GlobalOption {
  /** The variable the value goes to; undefined for options keyward accepts and ignores. */
  env?: string;
  takesValue: boolean;
}

const GLOBALS: Readonly<Record<string, GlobalOption>> = {
  '--config': { env: 'SOPS_CONFIG', takesValue: true },
  '--decryption-order': { env: 'SOPS_DECRYPTION_ORDER', takesValue: true },
  '--disable-version-check': { takesValue: false },
  '--check-for-updates': { takesValue: false },
  '--enable-local-keyservice': { takesValue: false },
};

export interface GlobalSplit {
  /** The command line from the command on. */
  argv: string[];
  /** Variables to set for the run. */
  env: Record<string, string>;
}

/**
 * Takes the global options in front of the command off `argv`. `--name value` and
 * `--name=value` are both read; anything else starting the line (a command, `--help`,
 * `--version`) ends the globals.
 */
export function takeGlobalOptions(argv: readonly string[]): GlobalSplit {
  const env: Record<string, string> = {};
  let i = 0;
  while (i < argv.length) {
    const word = argv[i] ?? '';
    const eq = word.indexOf('=');
    const name = eq === -1 ? word : word.slice(0, eq);
    const option = GLOBALS[name];
    if (!option) break;
    let value: string | undefined;
    if (eq !== -1) value = word.slice(eq + 1);
    else if (option.takesValue) {
      value = argv[i + 1];
      i += 1;
      if (value === undefined) throw new KeywardError('usage', `${name} needs a value`);
    }
    if (option.takesValue && option.env && value !== undefined) env[option.env] = value;
    i += 1;
  }
  if (i > 0 && i >= argv.length) throw new KeywardError('usage', 'a command must follow the global options');
  return { argv: argv.slice(i), env };
}
