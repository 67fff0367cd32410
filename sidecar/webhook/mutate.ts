/**
 * From an opted-in pod to the JSON Patch (RFC 6902) that injects it. Only `add`
 * operations: volumes, mounts in the selected containers (and, when the agent runs
 * first, in the pod's own init containers), the agent and copy containers, the
 * env-mode command rewrite, `shareProcessNamespace` for a reload signal, and the
 * inject-status annotation that makes a second admission change nothing.
 */

import { ConfigError } from '../../src/index.js';
import { LAUNCH_SETTINGS_ENV, PATHS } from '../contract.js';
import { type InjectPlan, planOf } from './annotations.js';
import {
  agentContainer,
  copyContainer,
  launcherMounts,
  loginSettings,
  secretsMount,
  volumesFor,
} from './containers.js';
import type { WebhookOptions } from './options.js';
import { type Container, type EnvVar, INJECT, NAMES, OPT_IN_VALUES, type Pod, type PodSpec, STATUS } from './pod.js';
import { envPlaceholder } from './secret-annotations.js';

export interface PatchOp {
  op: 'add';
  path: string;
  value: unknown;
}

/** RFC 6901: `~` → `~0`, `/` → `~1`. */
export const pointer = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

class Patch {
  readonly ops: PatchOp[] = [];

  set(path: string, value: unknown): void {
    this.ops.push({ op: 'add', path, value });
  }

  /** Items at the end of the array at `path` (the whole array when there is none). */
  append(path: string, current: readonly unknown[] | undefined, items: readonly unknown[]): void {
    if (items.length === 0) return;
    if (current === undefined) this.set(path, items);
    else for (const item of items) this.set(`${path}/-`, item);
  }

  /** Items at the front of the array at `path`, in order. */
  prepend(path: string, current: readonly unknown[] | undefined, items: readonly unknown[]): void {
    if (items.length === 0) return;
    if (current === undefined) this.set(path, items);
    else
      items.forEach((item, i) => {
        this.set(`${path}/${i}`, item);
      });
  }
}

export const LAUNCHER = [`${PATHS.bin}/node`, `${PATHS.bin}/keyward-launch.cjs`, '--'];

/** Whether a pod asks for injection and does not have it yet. */
export function wantsInjection(pod: Pod): boolean {
  const a = pod.metadata?.annotations ?? {};
  if (!OPT_IN_VALUES.includes((a[INJECT] ?? '').trim())) return false;
  if (a[STATUS] === 'injected') return false;
  if ((pod.spec?.volumes ?? []).some((v) => v.name === NAMES.secretsVolume)) return false;
  const phase = pod.status?.phase;
  return phase === undefined || phase === '' || phase === 'Pending';
}

function launchCommand(c: Container, plan: InjectPlan): string[] {
  const original = c.command ?? plan.entrypoints[c.name];
  if (!original || original.length === 0) {
    throw new ConfigError(
      `keyward: container ${c.name} has env placeholders but no command; set its command, or keyward.io/entrypoint-${c.name} to the image's entrypoint as a JSON array`,
    );
  }
  return [...LAUNCHER, ...original];
}

function checkMounts(c: Container, paths: readonly string[]): void {
  const clash = (c.volumeMounts ?? []).find((m) => paths.includes(m.mountPath));
  if (clash) throw new ConfigError(`keyward: container ${c.name} already mounts something at ${clash.mountPath}`);
}

function mutateApps(spec: PodSpec, plan: InjectPlan, patch: Patch): boolean {
  let launched = false;
  spec.containers.forEach((c, i) => {
    if (!plan.containers.includes(c.name)) return;
    const at = `/spec/containers/${i}`;
    const mounts: unknown[] = [];
    if (plan.files) mounts.push(secretsMount);
    if (
      plan.env &&
      (c.env ?? []).filter((e: EnvVar) => typeof e.value === 'string' && envPlaceholder(c.name, e.name, e.value))
        .length > 0
    ) {
      checkMounts(c, [PATHS.bin, PATHS.tokenDir]);
      patch.set(`${at}/command`, launchCommand(c, plan));
      const settings: EnvVar = { name: LAUNCH_SETTINGS_ENV, value: JSON.stringify(loginSettings(plan)) };
      patch.append(`${at}/env`, c.env, [settings]);
      mounts.push(...launcherMounts);
      launched = true;
    }
    if (plan.files) checkMounts(c, [PATHS.secrets]);
    patch.append(`${at}/volumeMounts`, c.volumeMounts, mounts);
  });
  return launched;
}

/** The patch for an opted-in, not yet injected pod; a ConfigError when its annotations are wrong. */
export function mutation(pod: Pod & { spec: PodSpec }, options: WebhookOptions): { ops: PatchOp[]; plan: InjectPlan } {
  const plan = planOf(pod, options);
  const { spec } = pod;
  const patch = new Patch();
  patch.append('/spec/volumes', spec.volumes, volumesFor(plan));
  const launched = mutateApps(spec, plan, patch);
  if (plan.env && !launched) {
    throw new ConfigError(
      'keyward: keyward.io/mode is env, but no selected container has an env value with a placeholder',
    );
  }
  const agents: Container[] = [];
  if (plan.files) {
    const native = !plan.classic && !plan.prePopulateOnly;
    agents.push(agentContainer(plan, options, native ? 'native' : 'init'));
    if (plan.classic && !plan.prePopulateOnly)
      patch.append('/spec/containers', spec.containers, [agentContainer(plan, options, 'classic')]);
  }
  const inits = [...(plan.env ? [copyContainer(plan, options)] : []), ...agents];
  if (plan.initFirst) {
    // the pod's own init containers run after the first render: they may read the secrets too
    if (plan.files)
      (spec.initContainers ?? []).forEach((c, i) => {
        checkMounts(c, [PATHS.secrets]);
        patch.append(`/spec/initContainers/${i}/volumeMounts`, c.volumeMounts, [secretsMount]);
      });
    patch.prepend('/spec/initContainers', spec.initContainers, inits);
  } else patch.append('/spec/initContainers', spec.initContainers, inits);
  if (plan.reload) patch.set('/spec/shareProcessNamespace', true);
  const annotations = pod.metadata?.annotations;
  if (annotations === undefined) patch.set('/metadata/annotations', { [STATUS]: 'injected' });
  else patch.set(`/metadata/annotations/${pointer(STATUS)}`, 'injected');
  return { ops: patch.ops, plan };
}
