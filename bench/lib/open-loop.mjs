// An open-loop HTTPS load generator: request i is due at start + i / rate whatever happened to the
// requests before it, and its latency is counted from that due time (so a slow answer delays nothing
// and hides nothing: no coordinated omission). Requests go over a few keep-alive connections, as the
// Kubernetes API server calls a webhook; when all are busy, a request waits in the queue and that wait
// is part of its latency. Also kept per request: the client's own lag (actual send - due time), so a
// late timer on this side is not mistaken for the server's time.
import { Agent, request } from 'node:https';

/** Nearest-rank percentile of an ascending array. */
export const percentile = (sorted, p) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/**
 * Sends `rate` requests a second for `seconds` to `https://127.0.0.1:<port><path>`, cycling through
 * `bodies` ([{ buf, check(responseBuffer) -> bool }]). Resolves with per-request arrays (ms):
 * `latency` (answer complete - due time; also unsorted as `byIndex`), `service` (answer complete - actual send), `lag` (actual
 * send - due time) and the error count (transport errors, non-200 answers, or a failed check).
 */
export function openLoop({ port, ca, path = '/mutate', bodies, rate, seconds, connections = 4, timeoutMs = 10_000 }) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections, ca });
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const latency = new Float64Array(total);
  const service = new Float64Array(total);
  const lag = new Float64Array(total);
  const failures = [];
  let next = 0;
  let done = 0;
  const start = performance.now() + 20;
  return new Promise((resolve) => {
    const finish = () => {
      if (++done < total) return;
      agent.destroy();
      const sorted = (a) => Float64Array.from(a).sort();
      resolve({
        total,
        errors: failures.length,
        failures: failures.slice(0, 5),
        latency: sorted(latency),
        byIndex: latency,
        service: sorted(service),
        lag: sorted(lag),
        wallMs: performance.now() - start,
      });
    };
    const fire = (i) => {
      const due = start + i * interval;
      const sent = performance.now();
      const body = bodies[i % bodies.length];
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': body.buf.length },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const end = performance.now();
            latency[i] = end - due;
            service[i] = end - sent;
            lag[i] = sent - due;
            if (res.statusCode !== 200) failures.push(`HTTP ${res.statusCode}`);
            else if (!body.check(Buffer.concat(chunks))) failures.push('unexpected answer');
            finish();
          });
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
      req.on('error', (err) => {
        latency[i] = service[i] = Number.POSITIVE_INFINITY;
        lag[i] = sent - due;
        failures.push(err.message);
        finish();
      });
      req.end(body.buf);
    };
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) fire(next++);
      if (next < total) setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
    };
    setTimeout(tick, 20);
  });
}
