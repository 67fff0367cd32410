/**
 * A cache of helm's and kustomize's output, the way Argo CD caches manifests: per Git
 * revision. A hard refresh (the way Argo CD users pick up a rotated secret) renders
 * the same revision again; keyward then skips `helm template` or `kustomize build`
 * and only decrypts and resolves again, so secrets are always read fresh. The key
 * covers the tenant, the revision, the repository and app path, the tool (path, size, mtime) and
 * every argument and input of the command. It holds the output from before any
 * secret is resolved (placeholders and SOPS ciphertext), in 0600 files of a 0700
 * folder, at most 500 entries. It is on only when Argo CD names the revision
 * (ARGOCD_APP_REVISION); KEYWARD_TEMPLATE_CACHE is its folder (default
 * $TMPDIR/keyward-templates), or `off`.
 */

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Settings } from '../src/index.js';

const LIMIT = 500;

export interface TemplateCache {
  get(): string | undefined;
  put(output: string): void;
}

/** The tool as found on PATH (or named by path), with its size and mtime; undefined when not found. */
function toolIdentity(command: string, path: string): string | undefined {
  const candidates = command.includes('/') ? [command] : path.split(':').map((dir) => join(dir, command));
  for (const file of candidates) {
    try {
      const st = statSync(file);
      if (st.isFile()) return `${file}:${st.size}:${st.mtimeMs}`;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/**
 * The cache entry for one run of `command args` (with `input` on stdin) in app folder
 * `dir` of the checkout at `root`, or undefined when caching is off. cmp-server
 * unpacks each request in a new folder, so paths in the key are taken relative to it.
 */
export function templateCache(
  s: Settings,
  command: string,
  run: { args: readonly string[]; input: string | undefined; dir: string; root: string },
): TemplateCache | undefined {
  const revision = s.first('ARGOCD_APP_REVISION');
  const setting = s.first('KEYWARD_TEMPLATE_CACHE');
  if (!revision || setting === 'off') return undefined;
  const tool = toolIdentity(command, s.first('PATH') ?? '');
  if (!tool) return undefined;
  const dir = setting ?? join(tmpdir(), 'keyward-templates');
  const identity = [
    2,
    // tenants never share entries, even for the same repository and revision
    s.first('KEYWARD_TENANT') ?? '',
    revision,
    s.first('ARGOCD_APP_SOURCE_REPO_URL') ?? '',
    s.first('ARGOCD_APP_SOURCE_PATH') ?? '',
    tool,
    run.args.map((arg) => arg.split(run.dir).join('<app>').split(run.root).join('<repo>')),
    run.input ?? null,
  ];
  const file = join(dir, `${createHash('sha256').update(JSON.stringify(identity)).digest('hex')}.yaml`);
  return {
    get: () => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    },
    put: (output) => {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const temp = `${file}.${process.pid}.tmp`;
        writeFileSync(temp, output, { mode: 0o600 });
        renameSync(temp, file);
        prune(dir);
      } catch {
        // a cache that cannot be written only costs time
      }
    },
  };
}

/** Keeps the newest LIMIT entries. */
function prune(dir: string): void {
  const entries = readdirSync(dir).filter((name) => name.endsWith('.yaml'));
  if (entries.length <= LIMIT) return;
  const dated = entries.map((name) => ({ name, at: statSync(join(dir, name)).mtimeMs })).sort((a, b) => b.at - a.at);
  for (const { name } of dated.slice(LIMIT)) unlinkSync(join(dir, name));
}
