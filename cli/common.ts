/**
 * Flag handling shared by the file commands: store types from flags or the file
 * name, --indent, and the --in-place / --output / stdin rules sops enforces.
 */

import { Option } from 'commander';
import { FORMATS, type Format, formatForPath, isFormat, KeywardError } from '../src/index.js';

export interface IoFlags {
  inPlace?: boolean;
  output?: string;
  inputType?: string;
  outputType?: string;
  indent?: string;
  filenameOverride?: string;
  verbose?: boolean;
}

export const inputTypeOption = () =>
  new Option('--input-type <type>', 'input store (default: by file extension)').choices([...FORMATS]);
export const outputTypeOption = () =>
  new Option('--output-type <type>', 'output store (default: the input store)').choices([...FORMATS]);

export function isStdin(file: string | undefined): boolean {
  return file === undefined || file === '-';
}

/** Checks the output flags and returns where the result goes (undefined = stdout). */
export function outputTarget(file: string | undefined, flags: IoFlags): string | undefined {
  if (flags.inPlace && flags.output) throw new KeywardError('usage', 'cannot use --in-place together with --output');
  if (flags.inPlace && isStdin(file)) throw new KeywardError('usage', 'cannot use --in-place when reading from stdin');
  return flags.inPlace ? file : flags.output;
}

/** The file name that decides the store and the creation rule (--filename-override wins). */
export function effectiveName(file: string | undefined, flags: IoFlags): string | undefined {
  return flags.filenameOverride ?? (isStdin(file) ? undefined : file);
}

export function formats(file: string | undefined, flags: IoFlags): { input: Format; output: Format } {
  const name = effectiveName(file, flags);
  const input = isFormat(flags.inputType) ? flags.inputType : name ? formatForPath(name) : 'yaml';
  const output = isFormat(flags.outputType) ? flags.outputType : name ? formatForPath(name) : input;
  return { input, output };
}

export function parseIndent(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new KeywardError('usage', '--indent must be a non-negative integer');
  return n;
}

/** Splits comma-separated flag values (and an env fallback) into trimmed entries. */
export function commaList(...values: (string | undefined)[]): string[] {
  const first = values.find((v) => v !== undefined && v !== '');
  return (first ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** child_process, loaded only when a program is run (it costs start-up time for every other command). */
export const childProcess = () => process.getBuiltinModule('node:child_process');
