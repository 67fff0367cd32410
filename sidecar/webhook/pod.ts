/**
 * The parts of a Kubernetes Pod the webhook reads and writes, typed loosely: every
 * object keeps the fields the webhook does not know about (`[field: string]: unknown`),
 * so a patch never drops them. Only shapes, no logic, apart from the annotation
 * prefix and names shared by the parser and the mutation.
 */

export interface EnvVar {
  name: string;
  value?: string;
  [field: string]: unknown;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  [field: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: VolumeMount[];
  securityContext?: { runAsUser?: number; [field: string]: unknown };
  [field: string]: unknown;
}

export interface Volume {
  name: string;
  [field: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  shareProcessNamespace?: boolean;
  securityContext?: { runAsUser?: number; [field: string]: unknown };
  [field: string]: unknown;
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  spec?: PodSpec;
  status?: { phase?: string; [field: string]: unknown };
}

export const PREFIX = 'keyward.io/';
export const INJECT = `${PREFIX}inject`;
export const STATUS = `${PREFIX}inject-status`;
/** The `inject` values that opt in: exactly those the chart's CEL matchCondition lets through. */
export const OPT_IN_VALUES: readonly string[] = ['true', '1', 'yes', 'on'];

/** Names of what the webhook adds; a pod that already has the secrets volume counts as injected. */
export const NAMES = {
  secretsVolume: 'keyward-secrets',
  tokenVolume: 'keyward-token',
  binVolume: 'keyward-bin',
  agent: 'keyward-agent',
  agentInit: 'keyward-agent-init',
  copy: 'keyward-copy',
} as const;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether `value` has the shape of a pod the webhook can mutate (containers with names). */
export function isPod(value: unknown): value is Pod & { spec: PodSpec } {
  if (!isRecord(value) || !isRecord(value.spec)) return false;
  const { containers, initContainers } = value.spec;
  const named = (list: unknown) =>
    Array.isArray(list) && list.every((c) => isRecord(c) && typeof c.name === 'string' && c.name !== '');
  return named(containers) && (initContainers === undefined || named(initContainers));
}
