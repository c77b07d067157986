/**
 * A storefront's errors, as realistic as a screenshot needs: a chained
 * exception with source context and locals, a browser TypeError, messages of
 * every level. Shared by the issue-page e2e test and anyone taking screenshots.
 */
const HOUR = 3600;
const DAY = 24 * HOUR;

/** `n` timestamps spread over the last `span` seconds before `now`, denser towards now. */
export function spread(now: number, n: number, span: number, seed = 1): number[] {
  return Array.from({ length: n }, (_, i) => now - span * Math.pow(((i * 7919 + seed * 104729) % n) / n, 1.7) - 30);
}

const CHECKOUT_SOURCE = [
  "import { reserveStock } from '../inventory/stock.js';",
  "import { CheckoutError } from './errors.js';",
  '',
  'export async function placeOrder(cart: Cart, customer: Customer): Promise<Order> {',
  '  const order = await orders.create(cart, customer);',
  '  try {',
  '    await reserveStock(order.lines);',
  '  } catch (err) {',
  '    throw new CheckoutError(`Could not reserve stock for order ${order.id}`, { cause: err });',
  '  }',
  '  await payments.capture(order);',
  '  return order;',
  '}',
];

const STOCK_SOURCE = [
  'export async function reserveStock(lines: OrderLine[]): Promise<void> {',
  '  const lineIds = lines.map((l) => l.productId);',
  '  for (let attempt = 1; attempt <= 2; attempt++) {',
  '    try {',
  '      await db.query(RESERVE_SQL, [lineIds]);',
  '      return;',
  '    } catch (err) {',
  '      if (attempt === 2 || !isTransient(err)) throw err;',
  '    }',
  '  }',
  '}',
];

/** A frame; `source` is the file's text from line `first` on, for the context lines around `lineno`. */
function frame(file: string, fn: string, lineno: number, source: { first: number; lines: string[] } | null, inApp: boolean, colno = 11, vars?: Record<string, unknown>) {
  const f: Record<string, unknown> = { filename: file, abs_path: `/srv/storefront/${file}`, function: fn, lineno, colno, in_app: inApp };
  if (source) {
    const i = lineno - source.first;
    f.pre_context = source.lines.slice(Math.max(0, i - 5), i);
    f.context_line = source.lines[i];
    f.post_context = source.lines.slice(i + 1, i + 4);
  }
  if (vars) f.vars = vars;
  return f;
}

export function checkoutError(timestamp: number, release = 'storefront@2.4.1'): Record<string, unknown> {
  const order = 4800 + Math.floor(timestamp % 97);
  return {
    timestamp,
    platform: 'node',
    level: 'error',
    release,
    environment: timestamp % 5 < 1 ? 'staging' : 'production',
    server_name: `web-${1 + Math.floor(timestamp % 3)}`,
    transaction: 'POST /api/checkout',
    exception: {
      values: [
        {
          type: 'DatabaseError',
          value: 'connection terminated unexpectedly',
          mechanism: { type: 'generic', handled: true },
          stacktrace: {
            frames: [
              frame('node_modules/pg/lib/client.js', 'Client._handleErrorEvent', 341, null, false, 14),
              frame('node_modules/pg-pool/index.js', 'PendingItem.callback', 45, null, false),
              frame('src/inventory/stock.ts', 'reserveStock', 62, { first: 58, lines: STOCK_SOURCE }, true, 16, { lineIds: [1182, 1183, 1201], attempt: 2 }),
            ],
          },
        },
        {
          type: 'CheckoutError',
          value: `Could not reserve stock for order ${order}`,
          mechanism: { type: 'onunhandledrejection', handled: false },
          stacktrace: {
            frames: [
              frame('node:internal/process/task_queues', 'process.processTicksAndRejections', 95, null, false, 5),
              frame('node_modules/express/lib/router/layer.js', 'Layer.handle [as handle_request]', 95, null, false, 5),
              frame('src/api/checkout.ts', 'checkoutHandler', 31, null, true, 20, { 'req.body.cartId': "'c_8f2a91'" }),
              frame('src/checkout/place-order.ts', 'placeOrder', 9, { first: 1, lines: CHECKOUT_SOURCE }, true, 11, {
                cart: "{ id: 'c_8f2a91', lines: 3, total: 129.9 }",
                customer: "{ id: 'u_2291', tier: 'gold' }",
                order: `{ id: ${order}, status: 'pending' }`,
              }),
            ],
          },
        },
      ],
    },
    breadcrumbs: {
      values: [
        { timestamp: timestamp - 4.2, category: 'http', type: 'http', level: 'info', data: { method: 'GET', url: '/api/cart/c_8f2a91', status_code: 200 } },
        { timestamp: timestamp - 2.9, category: 'navigation', type: 'navigation', message: '/cart → /checkout', level: 'info' },
        { timestamp: timestamp - 1.1, category: 'query', type: 'query', level: 'info', message: 'INSERT INTO orders (customer_id, total) VALUES ($1, $2)', data: { duration_ms: 4 } },
        { timestamp: timestamp - 0.6, category: 'query', type: 'query', level: 'warning', message: 'UPDATE stock SET reserved = reserved + 1 WHERE id = ANY($1)', data: { duration_ms: 2003 } },
        { timestamp: timestamp - 0.1, category: 'pg', level: 'error', message: 'Connection terminated unexpectedly' },
      ],
    },
    request: {
      method: 'POST',
      url: 'https://shop.example.com/api/checkout',
      query_string: 'source=cart',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15', Accept: 'application/json' },
      data: { cartId: 'c_8f2a91', shipping: 'express' },
    },
    user: { id: 'u_2291', email: 'jane@customer.example', ip_address: '203.0.113.9', segment: 'gold' },
    contexts: {
      os: { name: 'Linux', version: '6.1.0-18-amd64' },
      runtime: { name: 'node', version: 'v20.15.1' },
      app: { app_start_time: '2026-11-20T08:00:00Z', app_memory: 183435264 },
      trace: { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7', op: 'http.server' },
    },
    tags: { region: timestamp % 2 < 1 ? 'eu-west-1' : 'us-east-1', customer_tier: 'gold', 'payment.provider': 'stripe' },
    extra: { cart_items: 3, retry_budget: 'exhausted' },
    modules: { express: '4.19.2', pg: '8.12.0', 'pg-pool': '3.6.2' },
    sdk: { name: 'sentry.javascript.node', version: '8.40.0' },
  };
}

export function jsTypeError(timestamp: number) {
  return {
    timestamp,
    platform: 'javascript',
    level: 'error',
    release: 'storefront-web@5.12.0',
    environment: 'production',
    exception: {
      values: [
        {
          type: 'TypeError',
          value: "Cannot read properties of undefined (reading 'price')",
          mechanism: { type: 'onerror', handled: false },
          stacktrace: {
            frames: [
              frame('https://shop.example.com/assets/vendor-3f9a.js', 'HTMLButtonElement.dispatch', 2, null, false, 40211),
              frame('https://shop.example.com/assets/cart-81bc.js', 'CartSummary.render', 1, null, true, 1820),
              frame('https://shop.example.com/assets/cart-81bc.js', 'lineTotal', 1, null, true, 912),
            ],
          },
        },
      ],
    },
    contexts: { browser: { name: timestamp % 3 < 1 ? 'Firefox' : 'Chrome', version: timestamp % 3 < 1 ? '132.0' : '131.0.6778' }, os: { name: 'Windows', version: '10' } },
    request: { url: 'https://shop.example.com/cart' },
  };
}

export const message = (level: string, text: string, extra: Record<string, unknown> = {}) => (timestamp: number) => ({
  timestamp,
  platform: 'node',
  level,
  release: 'storefront@2.4.1',
  environment: 'production',
  logentry: { message: text },
  ...extra,
});

export function simpleError(type: string, value: string, fn: string, file: string, level = 'error') {
  return (timestamp: number) => ({
    timestamp,
    platform: 'python',
    level,
    release: 'billing@1.8.0',
    environment: 'production',
    exception: { values: [{ type, value, stacktrace: { frames: [frame(file, fn, 120, null, true, 0)] } }] },
  });
}

/** The whole storefront: eight issues of every level, 287 events over the last 30 days, oldest first (as they would arrive). */
export function storefrontEvents(now = Date.now() / 1000): Array<Record<string, unknown>> {
  const all = [
    ...spread(now, 64, 30 * DAY, 1).map((t) => checkoutError(t)),
    ...spread(now, 140, 20 * HOUR, 2).map(jsTypeError),
    ...spread(now, 23, 3 * DAY, 3).map(message('warning', 'Slow query: SELECT * FROM orders WHERE customer_id = $1 took 2412 ms')),
    ...spread(now, 9, 22 * HOUR, 4).map(message('info', 'Search index rebuilt in 8.3 s (41,208 products)')),
    ...spread(now, 3, 6 * HOUR, 5).map(simpleError('OutOfMemoryError', 'Java heap space', 'ReportJob.run', 'reports/ReportJob.java', 'fatal')),
    ...spread(now, 12, 10 * DAY, 6).map(simpleError('ValueError', "invalid literal for int() with base 10: 'N/A'", 'parse_quantity', 'billing/invoices.py')),
    ...spread(now, 31, 5 * DAY, 7).map(message('warning', 'DeprecationWarning: datetime.utcnow() is deprecated', { platform: 'python', release: 'billing@1.8.0' })),
    ...spread(now, 5, 12 * HOUR, 8).map(message('debug', 'Retrying webhook delivery to https://hooks.example.com/orders (attempt 3)')),
  ];
  return all.sort((a, b) => (a.timestamp as number) - (b.timestamp as number));
}
