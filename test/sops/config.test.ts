/**
 * Reading `.sops.yaml` as sops reads it: yaml.v3 typing, anchors and aliases, empty
 * and comment-only files, and one-line errors for files that are not a mapping or
 * not YAML at all.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { creationRuleFor, findConfig } from '../../src/sops/config.js';
import { testContext } from '../helpers/context.js';
import { DEV_AGE_RECIPIENT } from '../helpers/keys.js';
import { tempDir } from '../helpers/proc.js';

const dir = tempDir();
const ctx = testContext();

async function configOf(name: string, text: string) {
  const path = join(dir, name);
  writeFileSync(path, text);
  return findConfig(ctx, dir, path);
}

describe('.sops.yaml', () => {
  it('reads rules with anchors, aliases, numbers and booleans', async () => {
    const config = await configOf(
      'anchors.yaml',
      `keys:\n  - &me ${DEV_AGE_RECIPIENT}\ncreation_rules:\n  - path_regex: \\.secret\\.yaml$ # inline comment\n    encrypted_suffix: _secret\n    mac_only_encrypted: true\n    shamir_threshold: 1\n    key_groups:\n      - age: [*me]\n`,
    );
    expect(config?.raw.keys).toEqual([DEV_AGE_RECIPIENT]);
    const rule = await creationRuleFor(config as NonNullable<typeof config>, join(dir, 'a.secret.yaml'), dir);
    expect(rule?.macOnlyEncrypted).toBe(true);
    expect(rule?.shamirThreshold).toBe(1);
    expect(rule?.keyGroups).toEqual([[{ type: 'age', fields: { recipient: DEV_AGE_RECIPIENT } }]]);
  });

  it('reads the plain shape too (block lists, one-line values)', async () => {
    const config = await configOf(
      'plain.yaml',
      `# rules\ncreation_rules:\n    - path_regex: .*\n      age: ${DEV_AGE_RECIPIENT}\n      unencrypted_regex: ^public\n`,
    );
    const rule = await creationRuleFor(config as NonNullable<typeof config>, join(dir, 'x.yaml'), dir);
    expect(rule?.selection).toEqual({ field: 'unencrypted_regex', value: '^public' });
  });

  it('an empty or comment-only file has no rules', async () => {
    for (const [name, text] of [
      ['empty.yaml', ''],
      ['blank.yaml', '\n\n'],
      ['comments.yaml', '# nothing here yet\n'],
    ]) {
      expect((await configOf(name as string, text as string))?.raw).toEqual({});
    }
  });

  it('refuses a file that is not a mapping, or not YAML, in one line', async () => {
    await expect(configOf('list.yaml', '- a\n- b\n')).rejects.toThrow(/must be a mapping/);
    await expect(configOf('broken.yaml', 'creation_rules: [\n')).rejects.toThrow(ConfigError);
    await expect(configOf('dup.yaml', 'a: 1\na: 2\n')).rejects.toThrow(/not valid YAML/);
  });
});
