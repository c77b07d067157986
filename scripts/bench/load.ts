/**
 * The load generator: autocannon (as a library) on keep-alive connections, no pipelining
 * (SDKs do not pipeline), each request a fresh envelope from a rotation of templates.
 * Latency is recorded per 2xx response in fractional ms (autocannon's own histogram is
 * whole milliseconds).
 */
import autocannon from 'autocannon';
import type { BodyTemplate } from './payloads.js';
import { percentile } from './lib.js';

export interface LoadOptions {
  url: string;
  path: string;
  templates: readonly BodyTemplate[];
  headers: (gzip: boolean) => Record<string, string>;
  connections: number;
  /** Seconds; or `amount` requests. */
  duration?: number;
  amount?: number;
  /** Requests per second over all connections (steady offered load); unlimited when absent. */
  overallRate?: number;
  /** Called on every 2xx answer with the event id sent and performance.now(). */
  onAck?: (id: string, at: number) => void;
}

export interface LoadResult {
  seconds: number;
  ok: number;
  /** 2xx per second. */
  rate: number;
  p50: number;
  p99: number;
  /** Connection errors + timeouts + non-2xx answers. */
  errors: number;
  statusCodes: Record<string, number>;
  sentBytes: number;
}

export async function drive(opts: LoadOptions): Promise<LoadResult> {
  const { templates } = opts;
  const headers = [opts.headers(false), opts.headers(true)];
  let turn = 0;
  const latencies: number[] = [];
  let sentBytes = 0;
  let finish!: (r: autocannon.Result) => void;
  let fail!: (err: Error) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => ((finish = resolve), (fail = reject)));
  const instance = autocannon({
    url: opts.url,
    connections: opts.connections,
    pipelining: 1,
    timeout: 10,
    ...(opts.duration !== undefined ? { duration: opts.duration } : {}),
    ...(opts.amount !== undefined ? { amount: opts.amount } : {}),
    ...(opts.overallRate !== undefined ? { overallRate: opts.overallRate } : {}),
    requests: [
      {
        method: 'POST',
        path: opts.path,
        setupRequest: (req) => {
          const t = templates[turn++ % templates.length]!;
          const { body } = t.next();
          sentBytes += body.length;
          return { ...req, headers: headers[t.gzip ? 1 : 0]!, body };
        },
        ...(opts.onAck
          ? {
              onResponse: (status: number, body: string) => {
                if (status === 200 && body.startsWith('{"id":"')) opts.onAck!(body.slice(7, 39), performance.now());
              },
            }
          : {}),
      },
    ],
  }, (err, result) => (err ? fail(err) : finish(result)));
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await done;
  const sorted = Float64Array.from(latencies).sort();
  const codes: Record<string, number> = {};
  for (const [code, v] of Object.entries(result.statusCodeStats ?? {})) codes[code] = (v as { count: number }).count;
  const seconds = result.duration;
  return {
    seconds,
    ok: result['2xx'],
    rate: result['2xx'] / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    errors: result.errors + result.timeouts + result.non2xx,
    statusCodes: codes,
    sentBytes,
  };
}
