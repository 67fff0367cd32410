/**
 * An error keyward did not expect is reported as `internal error: …`. A parser's message
 * can quote the text it choked on (a secret, in a decrypted file or a resolved value), so
 * for JSON's and the yaml library's errors only the kind of error is shown.
 */

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { asKeywardError, KeywardError } from '../../src/errors.js';

const CANARY = 'canary-3f9a1c-never-print-me';

const thrown = (action: () => unknown): unknown => {
  try {
    action();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
};

describe('internal errors', () => {
  it("never quote a parser's input", () => {
    const json = asKeywardError(thrown(() => JSON.parse(`{"a": ${CANARY}}`)));
    const yaml = asKeywardError(thrown(() => parse(`a: "${CANARY}\nb: [`, { prettyErrors: true })));
    for (const err of [json, yaml]) {
      expect(err).toBeInstanceOf(KeywardError);
      expect(err.message).toMatch(/^internal error: /);
      expect(err.message).not.toContain(CANARY);
    }
    expect(yaml.message).toBe('internal error: YAMLParseError');
  });

  it('keep the message of other failures, and pass typed errors through', () => {
    expect(asKeywardError(new Error('ENOENT: no such file or directory')).message).toBe(
      'internal error: ENOENT: no such file or directory',
    );
    const typed = new KeywardError('usage', 'bad flag');
    expect(asKeywardError(typed)).toBe(typed);
  });
});
