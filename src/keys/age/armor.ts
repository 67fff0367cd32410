/**
 * age's ASCII armor (the form sops stores in `enc`): standard padded base64 in
 * 64-column lines between BEGIN/END AGE ENCRYPTED FILE markers.
 */

import { FormatError } from '../../errors.js';

const BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
const END = '-----END AGE ENCRYPTED FILE-----';
const COLUMNS = 64;

/** Armors an age file; the text ends with a line break, as age and sops write it. */
export function armorEncode(file: Uint8Array): string {
  const b64 = Buffer.from(file).toString('base64');
  const lines: string[] = [BEGIN];
  for (let i = 0; i < b64.length; i += COLUMNS) lines.push(b64.slice(i, i + COLUMNS));
  lines.push(END);
  return `${lines.join('\n')}\n`;
}

/**
 * Reads armored text: whitespace around the block and CRLF line ends are accepted;
 * every body line but the last must be 64 columns and the base64 must be canonical.
 */
export function armorDecode(text: string): Uint8Array {
  const lines = text.trim().split(/\r?\n/);
  if (lines[0] !== BEGIN || lines.at(-1) !== END) throw new FormatError('age: the armored file lacks its markers');
  const body = lines.slice(1, -1);
  body.forEach((line, i) => {
    const last = i === body.length - 1;
    if (last ? line.length === 0 || line.length > COLUMNS : line.length !== COLUMNS) {
      throw new FormatError('age: the armored file has a malformed line');
    }
  });
  const b64 = body.join('');
  const bytes = Buffer.from(b64, 'base64');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || bytes.toString('base64') !== b64) {
    throw new FormatError('age: the armored file is not valid base64');
  }
  return new Uint8Array(bytes);
}
