/**
 * The repository checkout an app is rendered from, by real paths. cmp-server unpacks
 * each request into a new folder `<work>/_cmp_server/<random>` (work =
 * ARGOCD_CMP_WORKDIR, else TMPDIR, else /tmp) and runs the plugin in
 * `<that folder>/<app path>`; the checkout is therefore the first folder under
 * `_cmp_server` that holds the app's real working directory. Counting the parts of the
 * app path would be fooled by an in-repo symlink (`l -> .`, with the path `l/l/l/app`).
 * An app folder outside cmp-server's work folder is refused, unless Argo CD names no
 * app path (a run by hand: the app folder is then the whole checkout).
 *
 * Before helm or kustomize read the checkout, every entry of it is checked: a symlink
 * must resolve inside it, and nothing but files, folders and symlinks may be there,
 * so no tool can be led to the sidecar's files or another app's checkout.
 */

import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { ConfigError, type Settings } from '../src/index.js';

export interface Checkout {
  /** The repository checkout (a real path). */
  root: string;
  /** The app's folder (a real path, inside root). */
  dir: string;
}

/** Whether `path` lies in `root` (both real, absolute paths); `root` itself counts. */
export function within(root: string, path: string): boolean {
  const inside = relative(root, path);
  return inside === '' || (inside !== '..' && !inside.startsWith(`..${sep}`) && !isAbsolute(inside));
}

/** cmp-server's folder of checkouts, as cmp-server computes it. */
function workFolder(s: Settings): string {
  const base = s.first('ARGOCD_CMP_WORKDIR') ?? s.first('TMPDIR') ?? '/tmp';
  return join(base, '_cmp_server');
}

/** The checkout and app folder of a run in `dir`, by real paths. */
export function checkoutOf(dir: string, s: Settings): Checkout {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    throw new ConfigError(`argocd: the app folder ${dir} does not exist`);
  }
  if (!s.first('ARGOCD_APP_SOURCE_PATH')) return { root: real, dir: real };
  const folder = workFolder(s);
  let work: string;
  try {
    work = realpathSync(folder);
  } catch {
    throw new ConfigError(`argocd: cmp-server's work folder ${folder} does not exist (ARGOCD_CMP_WORKDIR)`);
  }
  const [first] = relative(work, real).split(sep);
  if (!first || !within(work, real) || first === '..') {
    throw new ConfigError(
      `argocd: the app folder ${real} is not inside cmp-server's work folder ${work} (ARGOCD_CMP_WORKDIR); ` +
        'refusing to guess where the repository ends',
    );
  }
  return { root: join(work, first), dir: real };
}

/** Most entries a checkout may have; a checkout this large is refused rather than scanned for ever. */
const MAX_ENTRIES = 200_000;

/** Checks every entry under `folder` (in the checkout `root`): symlinks must stay inside, no special files. */
export function scanCheckout(root: string, folder = root): void {
  let seen = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (++seen > MAX_ENTRIES) throw new ConfigError(`argocd: the repository has more than ${MAX_ENTRIES} entries`);
      const path = join(dir, entry.name);
      const shown = relative(root, path);
      if (entry.isDirectory()) walk(path);
      else if (entry.isSymbolicLink()) {
        let target: string;
        try {
          target = realpathSync(path);
        } catch {
          throw new ConfigError(`argocd: the symlink ${shown} points nowhere`);
        }
        if (!within(root, target)) throw new ConfigError(`argocd: the symlink ${shown} points outside the repository`);
      } else if (!entry.isFile()) {
        throw new ConfigError(`argocd: ${shown} is not a file, folder or symlink`);
      }
    }
  };
  walk(folder);
}

/**
 * The real path of `file` (relative to `dir`, or absolute), which must exist inside
 * `root`; `what` names it in errors (`value file x.yaml`).
 */
export function insideCheckout(file: string, dir: string, root: string, what: string): string {
  let real: string;
  try {
    real = realpathSync(isAbsolute(file) ? file : join(dir, file));
  } catch {
    throw new ConfigError(`argocd: ${what} does not exist in the repository`);
  }
  if (!within(root, real)) throw new ConfigError(`argocd: ${what} lies outside the repository`);
  return real;
}

/** Whether `path` exists (without following a final symlink). */
export function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
