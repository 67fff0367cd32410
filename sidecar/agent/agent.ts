/**
 * One agent and its render: every secret's text is resolved through the core (all
 * or nothing), then each file whose content changed is replaced atomically; when a
 * file that existed got a new content, the configured reload signal goes to the
 * app. Backends are made once, when the agent is, so a Vault login (and its
 * renewal) outlives renders. A failed render writes nothing and leaves the last
 * good files in place.
 */

import {
  type BackendHelpers,
  type BackendInstance,
  type Context,
  createBackend,
  type HttpFetch,
  type Logger,
  resolveTexts,
  schemesOf,
  sopsAware,
} from '../../src/index.js';
import type { AgentConfig } from '../contract.js';
import { inPodContext } from './config.js';
import { SecretFiles } from './files.js';
import { signalProcesses } from './reload.js';
import { AgentMetrics } from './server.js';

export interface RenderReport {
  /** Files created or given a new content, by secret name. */
  written: string[];
  /** Secrets whose file existed and changed (a reload reason). */
  changed: string[];
  reads: number;
  ms: number;
  /** Processes signalled. */
  signalled: number;
  /** Seconds until a lease or TTL read in this render is due again (undefined: none). */
  refreshIn: number | undefined;
}

/** One line per event on stderr (`keyward agent: …`); never a value. */
export interface AgentLog extends Logger {
  event(message: string): void;
}

export class Agent {
  readonly metrics = new AgentMetrics();
  private readonly files: SecretFiles;
  private complete = false;

  private constructor(
    readonly config: AgentConfig,
    private readonly ctx: Context,
    private readonly helpers: BackendHelpers,
    private readonly instances: Readonly<Record<string, BackendInstance>>,
    private readonly log: AgentLog,
  ) {
    this.files = new SecretFiles(config.dir);
  }

  /** An agent with its backends made (bad settings fail here, before any render). */
  static async create(config: AgentConfig, fetch: HttpFetch, log: AgentLog): Promise<Agent> {
    const ctx = inPodContext(config.settings, fetch, log);
    const { helpers } = sopsAware(ctx);
    const instances: Record<string, BackendInstance> = {};
    for (const scheme of schemesOf(config.secrets.map((s) => s.source))) {
      instances[scheme] = await createBackend(scheme, ctx, helpers);
    }
    return new Agent(config, ctx, helpers, instances, log);
  }

  /** Whether a render has completed (the startup probe). */
  get ready(): boolean {
    return this.complete;
  }

  /** Renders every secret once; throws (and writes nothing) when any fails. */
  async render(): Promise<RenderReport> {
    const started = performance.now();
    const texts = Object.fromEntries(this.config.secrets.map((s) => [s.name, s.source]));
    let values: Record<string, string>;
    let reads: number;
    try {
      ({ values, reads } = await resolveTexts(texts, this.ctx, this.helpers, {
        instances: this.instances,
        label: 'secret',
      }));
    } catch (err) {
      this.failed('render');
      throw err;
    }
    const written: string[] = [];
    const changed: string[] = [];
    try {
      for (const secret of this.config.secrets) {
        const outcome = this.files.write(secret.file, values[secret.name] ?? '', secret.mode);
        if (outcome === 'created' || outcome === 'written') {
          written.push(secret.name);
          this.metrics.filesWritten.inc({ secret: secret.name });
        }
        if (outcome === 'written') changed.push(secret.name);
      }
    } catch (err) {
      this.failed('write');
      throw err;
    }
    const signalled = changed.length > 0 ? this.reload() : 0;
    const ms = performance.now() - started;
    this.complete = true;
    this.metrics.renders.inc({ outcome: 'success' });
    this.metrics.lastSuccess.set(Math.floor(Date.now() / 1000));
    this.metrics.ready.set(1);
    this.metrics.duration.observe(ms / 1000);
    const due = Object.values(this.instances)
      .map((i) => i.refreshIn?.())
      .filter((n): n is number => n !== undefined);
    return { written, changed, reads, ms, signalled, refreshIn: due.length > 0 ? Math.min(...due) : undefined };
  }

  private failed(stage: string): void {
    this.metrics.renders.inc({ outcome: 'failure' });
    this.metrics.errors.inc({ stage });
  }

  /** Sends the reload signal to the app's processes; returns how many got it. */
  private reload(): number {
    const spec = this.config.reload;
    if (!spec) return 0;
    const signal = spec.signal as NodeJS.Signals;
    const sent = signalProcesses(spec.process, signal);
    for (const target of sent) {
      this.metrics.reloads.inc({ signal, process: spec.process });
      this.log.event(`sent ${signal} to ${spec.process} (pid ${target.pid})`);
    }
    if (sent.length === 0) {
      this.metrics.errors.inc({ stage: 'reload' });
      this.log.event(`no process called ${spec.process} to send ${signal} to`);
    }
    return sent.length;
  }
}
