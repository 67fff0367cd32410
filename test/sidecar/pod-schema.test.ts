/**
 * test/helpers/pod-schema.ts against the real Kubernetes OpenAPI schemas in the rig: a Pod with a native
 * sidecar (an init container with restartPolicy Always and a startupProbe), a projected service account
 * token and a memory emptyDir is valid; an unknown field, a wrong type, a missing required field, a bad enum
 * value, a bad quantity and a duplicate volume each give one problem naming its JSON path. The same checks
 * hold for a Deployment's Pod template and for a MutatingWebhookConfiguration with matchConditions.
 */

import { describe, expect, it } from 'vitest';
import { MUTATING_WEBHOOK_CONFIGURATION, schemaSource, validateAgainst, validatePod } from '../helpers/pod-schema.js';

type Json = Record<string, unknown>;

const POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'app',
    namespace: 'shop',
    creationTimestamp: null,
    labels: { app: 'shop' },
    annotations: { 'keyward.io/inject': 'true' },
  },
  spec: {
    serviceAccountName: 'shop',
    restartPolicy: 'Always',
    initContainers: [
      {
        name: 'keyward-agent',
        image: 'ghcr.io/example/keyward:0.1.0',
        restartPolicy: 'Always',
        args: ['agent'],
        ports: [{ name: 'health', containerPort: 8099 }],
        startupProbe: { httpGet: { path: '/ready', port: 'health' }, periodSeconds: 1, failureThreshold: 30 },
        resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: 0.5, memory: '64Mi' } },
        securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        volumeMounts: [
          { name: 'keyward-secrets', mountPath: '/keyward/secrets' },
          { name: 'keyward-token', mountPath: '/keyward/token', readOnly: true },
        ],
      },
    ],
    containers: [
      {
        name: 'app',
        image: 'nginx:1.27',
        imagePullPolicy: 'IfNotPresent',
        env: [{ name: 'SECRETS_DIR', value: '/keyward/secrets' }],
        volumeMounts: [{ name: 'keyward-secrets', mountPath: '/keyward/secrets', readOnly: true }],
      },
    ],
    volumes: [
      { name: 'keyward-secrets', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
      {
        name: 'keyward-token',
        projected: {
          sources: [{ serviceAccountToken: { audience: 'vault', expirationSeconds: 3600, path: 'token' } }],
        },
      },
    ],
  },
};

/** A copy of the valid Pod changed by `edit`. */
function podWith(edit: (pod: Json & typeof POD) => void): Json {
  const pod = structuredClone(POD);
  edit(pod);
  return pod;
}
const sidecar = (pod: typeof POD): Json => pod.spec.initContainers[0] as Json;

describe('validatePod against the Kubernetes OpenAPI schema', () => {
  it('takes the schema from a Kubernetes release that knows native sidecars', () => {
    expect(schemaSource()).toMatch(/^k8s\.io\/kubernetes@v1\.(29|3\d)\.\d+$/);
  });

  it('accepts a Pod with a native sidecar, a projected token and a memory emptyDir', () => {
    expect(validatePod(POD)).toEqual([]);
  });

  it('rejects unknown fields, as strict field validation does', () => {
    const pod = podWith((p) => {
      sidecar(p).restartPolicyy = 'Always';
      (p.spec.volumes[0] as Json).emptyDir = { medium: 'Memory', size: '16Mi' };
    });
    expect(validatePod(pod).sort()).toEqual([
      'spec.initContainers[0].restartPolicyy: unknown field',
      'spec.volumes[0].emptyDir.size: unknown field',
    ]);
  });

  it('rejects wrong types, including int-or-string ports and map values', () => {
    const pod = podWith((p) => {
      sidecar(p).startupProbe = { httpGet: { path: '/ready', port: true }, periodSeconds: '1' };
      (p.metadata.annotations as Json)['keyward.io/inject'] = true;
    });
    expect(validatePod(pod).sort()).toEqual([
      'metadata.annotations["keyward.io/inject"]: expected string, got boolean',
      'spec.initContainers[0].startupProbe.httpGet.port: expected integer or string, got boolean',
      'spec.initContainers[0].startupProbe.periodSeconds: expected integer, got string',
    ]);
  });

  it('rejects a container without its required name', () => {
    const pod = podWith((p) => {
      delete sidecar(p).name;
    });
    expect(validatePod(pod).sort()).toEqual(['spec.initContainers[0].name: required field is missing']);
  });

  it('rejects a value outside an enum', () => {
    const pod = podWith((p) => {
      p.spec.restartPolicy = 'Sometimes';
    });
    expect(validatePod(pod).sort()).toEqual([
      'spec.restartPolicy: unsupported value "Sometimes", expected one of ["Always","Never","OnFailure"]',
    ]);
  });

  it('rejects a bad quantity, a duplicate volume and a wrong kind', () => {
    const pod = podWith((p) => {
      p.kind = 'Deployment';
      (p.spec.volumes[0] as Json).emptyDir = { medium: 'Memory', sizeLimit: '16MB' };
      p.spec.volumes.push({ name: 'keyward-token', emptyDir: {} } as (typeof p.spec.volumes)[0]);
    });
    expect(validatePod(pod).sort()).toEqual([
      '(root): apiVersion/kind v1/Deployment is not v1 Pod',
      'spec.volumes[0].emptyDir.sizeLimit: "16MB" is not a quantity',
      'spec.volumes[2]: duplicate entry ["keyward-token"] in a list of type map',
    ]);
  });
});

describe('validateAgainst other kinds', () => {
  it('checks the Pod template inside a Deployment', () => {
    const template = { metadata: { labels: { app: 'shop' } }, spec: structuredClone(POD.spec) };
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'shop' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'shop' } }, template },
    };
    expect(validateAgainst('io.k8s.api.apps.v1.Deployment', deployment)).toEqual([]);
    (template.spec.containers[0] as Json).imagePullPolicy = 'Sometimes';
    expect(validateAgainst('io.k8s.api.apps.v1.Deployment', deployment)).toEqual([
      'spec.template.spec.containers[0].imagePullPolicy: unsupported value "Sometimes", expected one of ["Always","IfNotPresent","Never"]',
    ]);
  });
});

describe('validateAgainst a MutatingWebhookConfiguration', () => {
  const config = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'keyward' },
    webhooks: [
      {
        name: 'inject.keyward.io',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        reinvocationPolicy: 'IfNeeded',
        clientConfig: { service: { name: 'keyward', namespace: 'keyward', path: '/mutate', port: 443 } },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        matchConditions: [{ name: 'not-system', expression: "!request.namespace.startsWith('kube-')" }],
      },
    ],
  };

  it('accepts a webhook with matchConditions', () => {
    expect(validateAgainst(MUTATING_WEBHOOK_CONFIGURATION, config)).toEqual([]);
  });

  it('rejects a bad operation, a bad sideEffects and a match condition without its expression', () => {
    const bad = structuredClone(config) as Json & typeof config;
    const hook = bad.webhooks[0] as Json & (typeof config.webhooks)[0];
    hook.sideEffects = 'Maybe';
    hook.rules[0] = { ...(hook.rules[0] as (typeof hook.rules)[0]), operations: ['PATCH'] };
    hook.matchConditions = [{ name: 'not-system' } as (typeof hook.matchConditions)[0]];
    expect(validateAgainst(MUTATING_WEBHOOK_CONFIGURATION, bad).sort()).toEqual([
      'webhooks[0].matchConditions[0].expression: required field is missing',
      'webhooks[0].rules[0].operations[0]: unsupported value "PATCH", expected one of ["*","CONNECT","CREATE","DELETE","UPDATE"]',
      'webhooks[0].sideEffects: unsupported value "Maybe", expected one of ["None","NoneOnDryRun","Some","Unknown"]',
    ]);
  });
});
