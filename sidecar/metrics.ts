/**
 * A small Prometheus registry for the webhook and the agent: counters, gauges and
 * histograms with labels, written in the text exposition format (version 0.0.4).
 * Label values are names the programs choose (a namespace, a secret's annotation
 * name, an outcome), never a secret value.
 */

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Readonly<Record<string, string>>;

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function labelText(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels);
  if (extra) pairs.push(extra);
  if (pairs.length === 0) return '';
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

const keyOf = (labels: Labels): string => JSON.stringify(Object.entries(labels).sort());

interface Metric {
  render(): string[];
}

abstract class Labelled<T> implements Metric {
  protected readonly series = new Map<string, { labels: Labels; value: T }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
  ) {}

  protected entry(labels: Labels, fresh: () => T): { labels: Labels; value: T } {
    const key = keyOf(labels);
    let found = this.series.get(key);
    if (!found) {
      found = { labels: { ...labels }, value: fresh() };
      this.series.set(key, found);
    }
    return found;
  }

  render(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, ...this.lines()];
  }

  protected abstract lines(): string[];
}

export class Counter extends Labelled<number> {
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }

  inc(labels: Labels = {}, by = 1): void {
    this.entry(labels, () => 0).value += by;
  }

  get(labels: Labels = {}): number {
    return this.series.get(keyOf(labels))?.value ?? 0;
  }

  protected lines(): string[] {
    return [...this.series.values()].map((s) => `${this.name}${labelText(s.labels)} ${s.value}`);
  }
}

export class Gauge extends Labelled<number> {
  constructor(name: string, help: string) {
    super(name, help, 'gauge');
  }

  set(value: number, labels: Labels = {}): void {
    this.entry(labels, () => 0).value = value;
  }

  protected lines(): string[] {
    return [...this.series.values()].map((s) => `${this.name}${labelText(s.labels)} ${s.value}`);
  }
}

interface Buckets {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Labelled<Buckets> {
  constructor(
    name: string,
    help: string,
    private readonly bounds: readonly number[],
  ) {
    super(name, help, 'histogram');
  }

  observe(value: number, labels: Labels = {}): void {
    const b = this.entry(labels, () => ({ counts: this.bounds.map(() => 0), sum: 0, count: 0 })).value;
    this.bounds.forEach((bound, i) => {
      if (value <= bound) b.counts[i] = (b.counts[i] ?? 0) + 1;
    });
    b.sum += value;
    b.count += 1;
  }

  protected lines(): string[] {
    return [...this.series.values()].flatMap(({ labels, value }) => [
      ...this.bounds.map(
        (bound, i) => `${this.name}_bucket${labelText(labels, ['le', String(bound)])} ${value.counts[i] ?? 0}`,
      ),
      `${this.name}_bucket${labelText(labels, ['le', '+Inf'])} ${value.count}`,
      `${this.name}_sum${labelText(labels)} ${value.sum}`,
      `${this.name}_count${labelText(labels)} ${value.count}`,
    ]);
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];

  add<M extends Metric>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }

  text(): string {
    return `${this.metrics.flatMap((m) => m.render()).join('\n')}\n`;
  }
}
