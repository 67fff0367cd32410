/**
 * The architecture's import rules are enforced by the linter: surfaces import the
 * core only through src/index.ts, and providers import only types, errors and
 * settings (never each other), also from inside a provider folder, which may import
 * its own files. The repository itself must lint and type-check clean.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, run, tempDir } from '../helpers/proc.js';

const BIOME = join(REPO, 'node_modules', '.bin', 'biome');

const PROBES: Record<string, string> = {
  'cli/deep.ts': "import { x } from '../src/sops/tree.js';",
  'cli/ok.ts': "import { x } from '../src/index.js';",
  'sidecar/agent/deep.ts': "import { x } from '../../src/sops/tree.js';",
  'plugin/ok.ts': "import { x } from '../src/index.js';",
  'src/keys/kms.ts': "import { x } from './age.js';",
  'src/keys/age.ts': "import { x } from '../types.js';",
  'src/keys/index.ts': "import { x } from './age.js';",
  'src/backends/vault.ts': "import { x } from '../sops/tree.js';",
  'src/backends/env.ts': "import { x } from '../settings.js';",
  'src/sops/decrypt.ts': "import { x } from '../keys/age.js';",
  'src/keys/hc-vault.ts': "import { x } from './age/ssh.js';",
  'src/keys/age/index.ts': "import { x } from '../../types.js';",
  'src/keys/age/ssh.ts': "import { x } from './ssh-format.js';",
  'src/keys/age/identities.ts': "import { x } from '../../settings.js';",
  'src/keys/age/other.ts': "import { x } from '../pgp.js';",
  'src/keys/age/deep.ts': "import { x } from '../../sops/tree.js';",
  'src/backends/vault/kv.ts': "import { x } from '../../errors.js';",
  'src/backends/vault/env.ts': "import { x } from '../env.js';",
};

describe('lint rules', () => {
  it('flags exactly the imports that cross the architecture boundaries', async () => {
    const dir = tempDir('keyward-lint-');
    const config = JSON.parse(readFileSync(join(REPO, 'biome.json'), 'utf8')) as Record<string, unknown>;
    config.$schema = undefined;
    config.vcs = { enabled: false };
    config.files = { includes: ['**'] };
    writeFileSync(join(dir, 'biome.json'), JSON.stringify(config));
    for (const [path, line] of Object.entries(PROBES)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), `${line}\nexport const y = x;\n`);
    }
    const res = await run(BIOME, ['lint', '--only=style/noRestrictedImports', '--reporter=json', '.'], { cwd: dir });
    const report = JSON.parse(res.stdout) as { diagnostics: { location: { path: string } }[] };
    const flagged = report.diagnostics
      .map((d) => d.location.path.replace(/^.*?(cli|sidecar|plugin|src)\//, '$1/'))
      .sort();
    expect(flagged).toEqual([
      'cli/deep.ts',
      'sidecar/agent/deep.ts',
      'src/backends/vault.ts',
      'src/backends/vault/env.ts',
      'src/keys/age/deep.ts',
      'src/keys/age/other.ts',
      'src/keys/hc-vault.ts',
      'src/keys/kms.ts',
    ]);
  });

  it('the repository passes biome check', async () => {
    const res = await run(BIOME, ['check', '.']);
    expect(res.stdout + res.stderr).toMatch(/Checked \d+ files/);
    expect(res.code).toBe(0);
  });

  it('the repository type-checks under strict settings', async () => {
    const res = await run(join(REPO, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json']);
    expect(res.stdout).toBe('');
    expect(res.code).toBe(0);
  });
});
