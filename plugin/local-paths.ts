/**
 * The local paths Helm and Kustomize follow out of an app's folder, checked to stay in
 * the repository checkout before the tool runs: a chart's `file://` dependencies
 * (`helm dependency build` packages them, wherever they are) and a kustomization's
 * `resources`, `bases`, `components`, `generators`, `transformers` and `validators`
 * (kustomization folders anywhere are accepted by kustomize; its other files must lie
 * under the kustomization, which kustomize enforces). Both are followed recursively.
 * Whatever an entry looks like, if it names something that exists locally it must lie
 * in the checkout by its real path; an entry that exists nowhere here is left to the
 * tool (a remote base: https, oci, git hosts, as Argo CD allows, or an error).
 * `file:` URLs and absolute paths are refused.
 */

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '../src/index.js';
import { exists, insideCheckout } from './checkout.js';

const KUSTOMIZATIONS = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function yamlFile(path: string): Record<string, unknown> {
  try {
    const data: unknown = parse(readFileSync(path, 'utf8'), { logLevel: 'error' });
    return isMap(data) ? data : {};
  } catch {
    return {}; // the tool reports a file it cannot read
  }
}

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Every `file://` dependency of the chart in `dir` (and theirs), checked to lie in `root`. */
export function checkChartDependencies(dir: string, root: string, seen = new Set<string>()): void {
  if (seen.has(dir)) return;
  seen.add(dir);
  const chart = yamlFile(join(dir, 'Chart.yaml'));
  const requirements = yamlFile(join(dir, 'requirements.yaml'));
  for (const dep of [...list(chart.dependencies), ...list(requirements.dependencies)]) {
    const repository = isMap(dep) && typeof dep.repository === 'string' ? dep.repository.trim() : '';
    if (!repository.startsWith('file://')) continue;
    const name = isMap(dep) && typeof dep.name === 'string' ? dep.name : '?';
    const path = repository.slice('file://'.length);
    const real = insideCheckout(path, dir, root, `chart dependency ${name} (${repository})`);
    checkChartDependencies(real, root, seen);
  }
}

const KUSTOMIZE_FIELDS = ['resources', 'bases', 'components', 'generators', 'transformers', 'validators'];

/** The kustomization in `dir` and every local one it includes, checked to lie in `root`. */
export function checkKustomizations(dir: string, root: string, seen = new Set<string>()): void {
  if (seen.has(dir)) return;
  seen.add(dir);
  const file = KUSTOMIZATIONS.map((name) => join(dir, name)).find(exists);
  if (!file) return;
  const k = yamlFile(file);
  for (const field of KUSTOMIZE_FIELDS) {
    for (const item of list(k[field])) {
      if (typeof item !== 'string') continue; // an inline generator or transformer: not a path
      const entry = item.trim();
      if (/^(git::)?file:/i.test(entry))
        throw new ConfigError(`argocd: kustomize ${field} entry ${entry}: file URLs are not allowed`);
      if (entry.startsWith('/'))
        throw new ConfigError(`argocd: kustomize ${field} entry ${entry}: absolute paths are not allowed`);
      // nothing here by that name: remote (kustomize fetches it) or missing (kustomize fails)
      if (!exists(join(dir, entry))) continue;
      const real = insideCheckout(entry, dir, root, `kustomize ${field} entry ${entry}`);
      if (statSync(real).isDirectory()) checkKustomizations(real, root, seen);
    }
  }
}
