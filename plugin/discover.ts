/**
 * The plugin's discover step (plugin.yaml `discover.find.command`): an app is
 * keyward's when one of its YAML/JSON files holds a keyward or argocd-vault-plugin
 * placeholder, a keyward.io/ or avp.kubernetes.io/ annotation, or a SOPS block. It
 * prints the first such file (cmp-server matches on exit 0 and some output) and reads
 * only the first 256 KiB of at most 2,000 files, skipping `.git` and `node_modules`.
 */

import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { join, relative } from 'node:path';

const MANIFEST = /\.(ya?ml|json)$/i;
const SIGNS = [
  /<\s*(vault|sops|k8s|env|path)\s*:/,
  /\b(keyward\.io|avp\.kubernetes\.io)\//,
  /^sops:\s*$/m,
  /"sops"\s*:\s*\{/,
];
const MAX_FILES = 2000;
const HEAD = 256 * 1024;

function head(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(HEAD);
    const read = readSync(fd, buffer, 0, HEAD, 0);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The first file under `dir` that marks the app as keyward's, relative to `dir`, or undefined. */
export function discover(dir: string): string | undefined {
  let seen = 0;
  const walk = (folder: string): string | undefined => {
    const entries = readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      if (entry.name === '.git' || entry.name === 'node_modules') continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        const found = walk(path);
        if (found) return found;
      } else if (entry.isFile() && MANIFEST.test(entry.name)) {
        if (++seen > MAX_FILES) return undefined;
        const text = head(path);
        if (SIGNS.some((sign) => sign.test(text))) return relative(dir, path);
      }
      if (seen > MAX_FILES) return undefined;
    }
    return undefined;
  };
  return walk(dir);
}
