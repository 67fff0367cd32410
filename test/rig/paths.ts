/**
 * Where the test rig keeps its tools, and the names of the environment variables
 * through which the global setup hands server addresses to the tests.
 */

import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const RIG_DIR = process.env.KEYWARD_RIG_DIR ?? join(homedir(), '.cache', 'keyward-rig');
export const RIG_BIN = join(RIG_DIR, 'bin');

/** Binaries the rig must provide; gpg comes from the system. */
export const RIG_TOOLS = [
  'sops',
  'age',
  'age-keygen',
  'local-kms',
  'rig-vault',
  'argocd-vault-plugin',
  'helm',
  'kustomize',
] as const;
export type RigTool = (typeof RIG_TOOLS)[number];

/** argocd-vault-plugin's own input and output fixtures, copied from its module by install.sh. */
export const AVP_FIXTURES = join(RIG_DIR, 'avp-fixtures');

/** The Kubernetes OpenAPI v3 schemas and their enum values, taken from the k8s.io/kubernetes module by install.sh. */
export const K8S_OPENAPI_DIR = join(RIG_DIR, 'k8s-openapi');
export const K8S_OPENAPI_FILES = [
  'api__v1_openapi.json',
  'apis__apps__v1_openapi.json',
  'apis__policy__v1_openapi.json',
  'apis__admissionregistration.k8s.io__v1_openapi.json',
  'enums.json',
] as const;

export const ENV = {
  vaultAddr: 'KEYWARD_TEST_VAULT_ADDR',
  vaultToken: 'KEYWARD_TEST_VAULT_TOKEN',
  vaultKind: 'KEYWARD_TEST_VAULT_KIND',
  kmsEndpoint: 'KEYWARD_TEST_KMS_ENDPOINT',
  kmsRegion: 'KEYWARD_TEST_KMS_REGION',
  kmsKeyArn: 'KEYWARD_TEST_KMS_KEY_ARN',
} as const;

export function toolPath(tool: RigTool): string {
  return join(RIG_BIN, tool);
}

/** The pinned versions from versions.env. */
export function pinnedVersions(): Record<string, string> {
  const text = readFileSync(new URL('./versions.env', import.meta.url), 'utf8');
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

/** Names of rig tools and files that are not installed. */
export function missingTools(): string[] {
  const files = K8S_OPENAPI_FILES.map((file) => join('k8s-openapi', file));
  return [
    ...RIG_TOOLS.filter((tool) => !existsSync(toolPath(tool))),
    ...files.filter((file) => !existsSync(join(RIG_DIR, file))),
  ];
}

/** A value handed over by the global setup; throws when the rig did not provide it. */
export function rigEnv(name: (typeof ENV)[keyof typeof ENV]): string {
  const value = process.env[name];
  if (!value) throw new Error(`test rig: ${name} is not set; the global setup did not start the servers`);
  return value;
}
