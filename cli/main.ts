#!/usr/bin/env node
/**
 * keyward command line (ES module build): SOPS-compatible encryption and decryption
 * of secrets files. Every failure is one clear line on stderr with a documented exit
 * code, never a stack trace. The installed `keyward` command is `launch.cts`, which
 * runs the same entry from a bundle with a V8 code cache.
 */

import { main } from './entry.js';

process.exitCode = await main(process.argv.slice(2));
