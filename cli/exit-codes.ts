/**
 * Exit codes of the keyward CLI. Where sops has a number for the same failure we
 * use it, so scripts written for sops keep working.
 */

import type { ErrorCode } from '../src/index.js';

export const EXIT = {
  ok: 0,
  generic: 1,
  couldNotReadInput: 2,
  couldNotWriteOutput: 3,
  conflictingParameters: 8,
  invalidSetFormat: 7,
  fileNotModified: 200,
  noEditor: 201,
  decryptingTree: 25,
  macMismatch: 51,
  noFileSpecified: 100,
  couldNotRetrieveKey: 128,
  fileAlreadyEncrypted: 203,
  closedOutput: 141,
} as const;

const byCode: Readonly<Record<ErrorCode, number>> = {
  generic: EXIT.generic,
  usage: EXIT.conflictingParameters,
  'invalid-set': EXIT.invalidSetFormat,
  'not-modified': EXIT.fileNotModified,
  'no-editor': EXIT.noEditor,
  io: EXIT.couldNotReadInput,
  'no-file': EXIT.noFileSpecified,
  output: EXIT.couldNotWriteOutput,
  format: EXIT.couldNotReadInput,
  metadata: EXIT.generic,
  'not-encrypted': EXIT.generic,
  'already-encrypted': EXIT.fileAlreadyEncrypted,
  'decrypt-value': EXIT.decryptingTree,
  'mac-mismatch': EXIT.macMismatch,
  'data-key': EXIT.couldNotRetrieveKey,
  config: EXIT.generic,
  backend: EXIT.generic,
  placeholder: EXIT.generic,
};

export function exitCodeFor(code: ErrorCode): number {
  return byCode[code];
}

/** The table printed in `keyward --help` and the README. */
export const EXIT_HELP = `Exit codes (sops's numbers where sops has one):
  0    success
  1    generic failure, bad metadata or configuration
  2    input could not be read or parsed
  3    output could not be written
  7    set: the value is not valid JSON
  8    conflicting or invalid options
  25   a value could not be decrypted
  51   MAC mismatch (use --ignore-mac to decrypt anyway)
  100  no such file
  128  no key could recover the data key
  141  the reader closed standard output early (128 + SIGPIPE)
  200  edit: the file was not changed
  201  edit: no editor found
  203  file is already encrypted`;
