/**
 * What the webhook adds to a pod: the agent (a native sidecar, or an init container
 * plus a classic sidecar), the copy step that puts the env launcher in place, and
 * the volumes — secrets in memory with a size limit, a projected service-account
 * token with the Vault audience, and a disk folder for the launcher. Every added
 * container runs as non-root with a read-only root filesystem and no capabilities.
 */

import { AGENT_CONFIG_ENV, AGENT_PORT, type AgentConfig, PATHS } from '../contract.js';
import type { InjectPlan } from './annotations.js';
import { DEFAULTS, type WebhookOptions } from './options.js';
import { type Container, NAMES, type Volume } from './pod.js';

export function securityContext(uid: number): Record<string, unknown> {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

function resources(plan: InjectPlan): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  if (Object.keys(plan.resources.requests).length > 0) out.requests = plan.resources.requests;
  if (Object.keys(plan.resources.limits).length > 0) out.limits = plan.resources.limits;
  return out;
}

/** The settings the agent and the launcher log in with: the plan's, plus where the token is. */
export function loginSettings(plan: InjectPlan): Record<string, string> {
  const s: Record<string, string> = { ...plan.settings };
  if (s.KEYWARD_VAULT_AUTH === 'jwt') s.KEYWARD_VAULT_JWT_FILE = PATHS.token;
  else s.AVP_K8S_TOKEN_PATH = PATHS.token;
  return s;
}

export function agentConfig(plan: InjectPlan): AgentConfig {
  return {
    settings: loginSettings(plan),
    dir: PATHS.secrets,
    secrets: plan.secrets,
    interval: plan.interval,
    ...(plan.reload ? { reload: plan.reload } : {}),
  };
}

const tokenMount = { name: NAMES.tokenVolume, mountPath: PATHS.tokenDir, readOnly: true };

/** One agent container: `init` renders once and exits; `native` is a sidecar in initContainers. */
export function agentContainer(
  plan: InjectPlan,
  options: WebhookOptions,
  role: 'init' | 'native' | 'classic',
): Container {
  const base: Container = {
    name: role === 'init' ? NAMES.agentInit : NAMES.agent,
    image: options.agentImage,
    imagePullPolicy: 'IfNotPresent',
    args: role === 'init' ? ['agent', '--init'] : ['agent'],
    env: [{ name: AGENT_CONFIG_ENV, value: JSON.stringify(agentConfig(plan)) }],
    resources: resources(plan),
    securityContext: securityContext(plan.runAsUser),
    volumeMounts: [{ name: NAMES.secretsVolume, mountPath: PATHS.secrets }, tokenMount],
  };
  if (role === 'init') return base;
  const served: Container = {
    ...base,
    ports: [{ name: 'keyward-agent', containerPort: AGENT_PORT, protocol: 'TCP' }],
  };
  if (role === 'classic') return served;
  return {
    ...served,
    restartPolicy: 'Always',
    // the app containers start once this passes: after the first complete render
    startupProbe: {
      httpGet: { path: '/readyz', port: AGENT_PORT },
      periodSeconds: 1,
      timeoutSeconds: 1,
      failureThreshold: 120,
    },
  };
}

/** The init container that copies the launcher (and the node it runs on) into the bin volume. */
export function copyContainer(plan: InjectPlan, options: WebhookOptions): Container {
  return {
    name: NAMES.copy,
    image: options.agentImage,
    imagePullPolicy: 'IfNotPresent',
    args: ['agent', '--install-launcher', PATHS.bin],
    resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } },
    securityContext: securityContext(plan.runAsUser),
    volumeMounts: [{ name: NAMES.binVolume, mountPath: PATHS.bin }],
  };
}

export function volumesFor(plan: InjectPlan): Volume[] {
  const volumes: Volume[] = [];
  if (plan.files)
    volumes.push({ name: NAMES.secretsVolume, emptyDir: { medium: 'Memory', sizeLimit: plan.sizeLimit } });
  volumes.push({
    name: NAMES.tokenVolume,
    projected: {
      sources: [
        { serviceAccountToken: { audience: plan.audience, expirationSeconds: DEFAULTS.tokenSeconds, path: 'token' } },
      ],
    },
  });
  if (plan.env) volumes.push({ name: NAMES.binVolume, emptyDir: { sizeLimit: DEFAULTS.binSizeLimit } });
  return volumes;
}

export const secretsMount = { name: NAMES.secretsVolume, mountPath: PATHS.secrets, readOnly: true };
export const launcherMounts = [{ name: NAMES.binVolume, mountPath: PATHS.bin, readOnly: true }, tokenMount];
