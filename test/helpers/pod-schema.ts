/**
 * Checks Kubernetes objects against the real OpenAPI v3 schemas of Kubernetes (core/v1 and
 * admissionregistration/v1), which test/rig/install.sh copies verbatim from the k8s.io/kubernetes module
 * into the rig, with the enum values a live API server adds to them (the rig's enums.json). Like
 * `kubectl --validate=strict`, a field the schema does not name is a problem. Each problem starts with the
 * JSON path of the offending value, e.g. `spec.initContainers[0].name: required field is missing`.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { K8S_OPENAPI_DIR, K8S_OPENAPI_FILES, RIG_DIR } from '../rig/paths.js';

export const POD = 'io.k8s.api.core.v1.Pod';
export const MUTATING_WEBHOOK_CONFIGURATION = 'io.k8s.api.admissionregistration.v1.MutatingWebhookConfiguration';

interface Schema {
  $ref?: string;
  allOf?: Schema[];
  oneOf?: Schema[];
  type?: string;
  format?: string;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}
type Json = Record<string, unknown>;

const REF_PREFIX = '#/components/schemas/';
const QUANTITY_NAME = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
// resource.Quantity's serialized form as its schema description gives it, plus the n and u suffixes its parser reads.
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

let loaded: Map<string, Schema> | undefined;

function readRigJson(file: string): unknown {
  const path = join(K8S_OPENAPI_DIR, file);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`Kubernetes OpenAPI file ${path} is unreadable (${String(err)}); run \`npm run rig\` first`);
  }
}

/** Every schema of the rig's spec files by name, with the enum values of enums.json put in place. */
function schemas(): Map<string, Schema> {
  if (loaded) return loaded;
  const all = new Map<string, Schema>();
  for (const file of K8S_OPENAPI_FILES.filter((f) => f !== 'enums.json')) {
    const doc = readRigJson(file) as { components: { schemas: Record<string, Schema> } };
    for (const [name, schema] of Object.entries(doc.components.schemas)) if (!all.has(name)) all.set(name, schema);
  }
  const enums = readRigJson('enums.json') as Record<string, Record<string, unknown[]>>;
  for (const [name, places] of Object.entries(enums)) {
    const schema = all.get(name);
    if (!schema) continue;
    for (const [place, values] of Object.entries(places)) {
      let target: Schema | undefined = schema;
      const steps = place.split('/'); // properties/NAME, then maybe items
      for (let i = 0; i < steps.length; i++) {
        target = steps[i] === 'properties' ? target?.properties?.[steps[++i] ?? ''] : target?.items;
      }
      if (!target) throw new Error(`enums.json names ${name} ${place}, which the OpenAPI schema lacks`);
      target.enum = values;
    }
  }
  loaded = all;
  return all;
}

/** The module and version the rig's schemas come from, e.g. k8s.io/kubernetes@v1.34.4. */
export function schemaSource(): string {
  return readFileSync(join(RIG_DIR, 'stamps', 'k8s-openapi'), 'utf8').trim();
}

function lookup(name: string): Schema {
  const schema = schemas().get(name);
  if (!schema) throw new Error(`no schema named ${name} in the rig's Kubernetes OpenAPI files`);
  return schema;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const child = (path: string, key: string): string =>
  /^[A-Za-z_$][\w$-]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`;

function hasType(type: string, value: unknown): boolean {
  if (type === 'object') return isObject(value);
  if (type === 'array') return Array.isArray(value);
  if (type === 'integer') return Number.isInteger(value);
  if (type === 'number') return typeof value === 'number' && Number.isFinite(value);
  return typeof value === type;
}

function check(schema: Schema, value: unknown, path: string, out: string[]): void {
  const at = path || '(root)';
  if (schema.$ref) {
    const name = schema.$ref.slice(REF_PREFIX.length);
    check(lookup(name), value, path, out);
    if (name === QUANTITY_NAME && typeof value === 'string' && !QUANTITY.test(value)) {
      out.push(`${at}: ${JSON.stringify(value)} is not a quantity`);
    }
    return;
  }
  for (const part of schema.allOf ?? []) check(part, value, path, out);
  if (value === null) {
    out.push(`${at}: must not be null`);
    return;
  }
  if (schema.oneOf && !schema.oneOf.some((alt) => attempt(alt, value).length === 0)) {
    out.push(`${at}: expected ${schema.oneOf.map((alt) => alt.type).join(' or ')}, got ${kindOf(value)}`);
    return;
  }
  if (schema.type && !hasType(schema.type, value)) {
    out.push(`${at}: expected ${schema.type}, got ${kindOf(value)}`);
    return;
  }
  if (schema.enum && !schema.enum.includes(value)) {
    out.push(`${at}: unsupported value ${JSON.stringify(value)}, expected one of ${JSON.stringify(schema.enum)}`);
  }
  checkFormat(schema.format, value, at, out);
  if (Array.isArray(value)) checkList(schema, value, path, out);
  if (isObject(value)) checkObject(schema, value, path, out);
}

function attempt(schema: Schema, value: unknown): string[] {
  const out: string[] = [];
  check(schema, value, '', out);
  return out;
}

function checkFormat(format: string | undefined, value: unknown, at: string, out: string[]): void {
  if (format === 'int32' && typeof value === 'number' && (value < -(2 ** 31) || value >= 2 ** 31)) {
    out.push(`${at}: ${value} does not fit in int32`);
  } else if (format === 'int64' && typeof value === 'number' && !Number.isSafeInteger(value)) {
    out.push(`${at}: ${value} is beyond the integers JSON carries exactly`);
  } else if (format === 'date-time' && typeof value === 'string' && !DATE_TIME.test(value)) {
    out.push(`${at}: ${JSON.stringify(value)} is not an RFC 3339 date-time`);
  } else if (format === 'byte' && typeof value === 'string' && !BASE64.test(value)) {
    out.push(`${at}: not base64`);
  }
}

function checkList(schema: Schema, list: unknown[], path: string, out: string[]): void {
  list.forEach((item, i) => {
    if (schema.items) check(schema.items, item, `${path}[${i}]`, out);
  });
  const listType = schema['x-kubernetes-list-type'];
  const keys = schema['x-kubernetes-list-map-keys'] ?? [];
  if (listType !== 'map' && listType !== 'set') return;
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const key = JSON.stringify(listType === 'map' && isObject(item) ? keys.map((k) => item[k]) : item);
    if (seen.has(key)) out.push(`${path}[${i}]: duplicate entry ${key} in a list of type ${listType}`);
    seen.add(key);
  });
}

function checkObject(schema: Schema, object: Json, path: string, out: string[]): void {
  const gvks = schema['x-kubernetes-group-version-kind'] ?? [];
  if (gvks.length > 0 && (object.kind !== undefined || object.apiVersion !== undefined)) {
    const names = gvks.map((g) => `${g.group ? `${g.group}/` : ''}${g.version} ${g.kind}`);
    if (!names.includes(`${String(object.apiVersion)} ${String(object.kind)}`)) {
      out.push(`${path || '(root)'}: apiVersion/kind ${object.apiVersion}/${object.kind} is not ${names.join(' or ')}`);
    }
  }
  for (const name of schema.required ?? []) {
    if (object[name] === undefined || object[name] === null)
      out.push(`${child(path, name)}: required field is missing`);
  }
  const { properties, additionalProperties } = schema;
  for (const [key, value] of Object.entries(object)) {
    const where = child(path, key);
    const field = properties?.[key];
    if (field) {
      if (value !== null) check(field, value, where, out); // the API server reads null as an unset field
    } else if (typeof additionalProperties === 'object') {
      check(additionalProperties, value, where, out);
    } else if (properties && !schema['x-kubernetes-preserve-unknown-fields']) {
      out.push(`${where}: unknown field`);
    }
    // An object schema with neither properties nor additionalProperties (RawExtension, FieldsV1) takes any fields.
  }
}

/** Problems found in `value` checked against the named schema, e.g. io.k8s.api.core.v1.Pod; empty when valid. */
export function validateAgainst(schemaName: string, value: unknown): string[] {
  const out: string[] = [];
  check(lookup(schemaName), value, '', out);
  return out;
}

/** Problems found in a Pod; empty when it is valid against Kubernetes's own Pod schema. */
export function validatePod(pod: unknown): string[] {
  return validateAgainst(POD, pod);
}
