/**
 * Plaintext on disk only where it must be: a private 0700 temp folder holding
 * 0600 files, removed when the command ends — normally, on an error, or on
 * SIGINT/SIGTERM/SIGHUP.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { KeywardError } from '../src/index.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const EXIT_BY_SIGNAL: Readonly<Record<(typeof SIGNALS)[number], number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

export interface PrivateTemp {
  dir: string;
  /** Writes a 0600 file in the folder under a plain base name and returns its path. */
  file(name: string, data: Uint8Array): string;
  remove(): void;
}

export function privateTemp(prefix = 'keyward-'): PrivateTemp {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    rmSync(dir, { recursive: true, force: true });
    for (const signal of SIGNALS) process.off(signal, handlers[signal]);
    process.off('exit', remove);
  };
  const onSignal = (signal: (typeof SIGNALS)[number]) => () => {
    remove();
    process.exit(EXIT_BY_SIGNAL[signal]);
  };
  const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM'), SIGHUP: onSignal('SIGHUP') };
  for (const signal of SIGNALS) process.on(signal, handlers[signal]);
  process.on('exit', remove);
  return {
    dir,
    file(name, data) {
      if (name !== basename(name) || name === '' || name.startsWith('.')) {
        throw new KeywardError('usage', `${JSON.stringify(name)} must be a plain file name`);
      }
      const path = join(dir, name);
      writeFileSync(path, data, { mode: 0o600, flag: 'wx' });
      return path;
    },
    remove,
  };
}

/** Splits a command line shell-style (quotes and backslashes), for $EDITOR values like `code --wait`. */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: '"' | "'" | undefined;
  let started = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length) current += text.charAt(++i);
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      started = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      current += text.charAt(++i);
      started = true;
    } else if (/\s/.test(ch)) {
      if (started) words.push(current);
      current = '';
      started = false;
    } else {
      current += ch;
      started = true;
    }
  }
  if (quote) throw new KeywardError('usage', 'unterminated quote in the editor command');
  if (started) words.push(current);
  return words;
}
