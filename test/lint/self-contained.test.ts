/**
 * The repository stands on its own: a fresh clone has nothing beside it, so no tracked
 * file (tests, scripts, builds, docs) reads or links a folder outside the repository,
 * and every relative Markdown link in the docs points at a file that is in it.
 */

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, run } from '../helpers/proc.js';

async function tracked(): Promise<string[]> {
  const res = await run('git', ['ls-files', '-z'], { cwd: REPO });
  expect(res.code).toBe(0);
  return res.stdout.split('\0').filter((f) => f !== '' && existsSync(join(REPO, f)));
}

const TEXT = /\.(ts|mts|cts|mjs|cjs|js|json|sh|md|ya?ml|toml|txt)$|(^|\/)(Dockerfile|run|keyward-cmp)$/;

describe('a fresh clone', () => {
  it('no file names the design folder or conformance files outside the repository', async () => {
    // as a path, or as the parts of a join()
    const outside = /\.\.\/shared\/(design|conformance)|['"]shared['"],\s*['"](design|conformance)['"]/;
    const hits = (await tracked())
      .filter((f) => TEXT.test(f) && f !== 'test/lint/self-contained.test.ts')
      .filter((f) => outside.test(readFileSync(join(REPO, f), 'utf8')));
    expect(hits).toEqual([]);
  });

  it('every relative link in the Markdown docs resolves inside the repository', async () => {
    const broken: string[] = [];
    for (const file of (await tracked()).filter((f) => f.endsWith('.md') && !f.startsWith('test/fixtures/'))) {
      const text = readFileSync(join(REPO, file), 'utf8');
      for (const [, target = ''] of text.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/i.test(target)) continue;
        const path = resolve(REPO, dirname(file), target);
        if (relative(REPO, path).startsWith('..') || !existsSync(path)) broken.push(`${file}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
