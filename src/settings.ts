/**
 * Settings: the one flat map of names to strings that every surface builds from its
 * own inputs (CLI flags and environment, ARGOCD_ENV_* for the plugin, pod annotations
 * for the sidecar). The core reads configuration only from here, never from
 * process.env, so every surface and every test is hermetic.
 */

import { ConfigError } from './errors.js';

/** A yes/no setting or parameter: 1, t, true, yes or on (any case) mean yes; anything else no. */
export const isYes = (value: string | undefined): boolean =>
  value !== undefined && ['1', 't', 'true', 'yes', 'on'].includes(value.trim().toLowerCase());

export class Settings {
  private readonly values: ReadonlyMap<string, string>;

  constructor(values: Iterable<readonly [string, string]> = []) {
    this.values = new Map(values);
  }

  /** Builds settings from an environment-like record, dropping undefined entries. */
  static fromRecord(record: Readonly<Record<string, string | undefined>>): Settings {
    const entries: [string, string][] = [];
    for (const [name, value] of Object.entries(record)) {
      if (value !== undefined) entries.push([name, value]);
    }
    return new Settings(entries);
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  /** The first of `names` that is set to a non-empty value. */
  first(...names: string[]): string | undefined {
    for (const name of names) {
      const value = this.values.get(name);
      if (value !== undefined && value !== '') return value;
    }
    return undefined;
  }

  require(name: string): string {
    const value = this.values.get(name);
    if (value === undefined || value === '') throw new ConfigError(`settings: ${name} is required`);
    return value;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** Whether the first of `names` that is set says yes (see isYes). */
  flag(...names: string[]): boolean {
    return isYes(this.first(...names));
  }

  /** A copy with `extra` layered on top. */
  with(extra: Iterable<readonly [string, string]>): Settings {
    const merged = new Map(this.values);
    for (const [name, value] of extra) merged.set(name, value);
    return new Settings(merged);
  }

  names(): string[] {
    return [...this.values.keys()];
  }
}
