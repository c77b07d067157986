// The one error handler: browsers get an HTML page, SDKs and the health check
// JSON, and a 500 carries nothing of the error that caused it.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { ForbiddenError } from '../../src/errors.js';
import { installErrorHandlers } from '../../src/web/error-handler.js';

async function app() {
  const a = Fastify({ logger: false });
  installErrorHandlers(a);
  a.get('/boom', async () => {
    throw new Error('SQLITE_CORRUPT at /var/lib/sluice/secret.db');
  });
  a.get('/api/boom', async () => {
    throw new Error('SQLITE_CORRUPT at /var/lib/sluice/secret.db');
  });
  a.get('/forbidden', async () => {
    throw new ForbiddenError('only a team admin can <b>do</b> this');
  });
  await a.ready();
  return a;
}

describe('error pages', () => {
  it('answers a bug on a page with a bare HTML 500', async () => {
    const res = await (await app()).inject('/boom');
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('Something went wrong on our side');
    expect(res.body).not.toMatch(/SQLITE|secret|at .*\.ts|Error:/);
  });

  it('answers a bug on an SDK route with a bare JSON 500', async () => {
    const res = await (await app()).inject('/api/boom');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ detail: 'internal error' });
  });

  it('shows a domain error’s message, escaped', async () => {
    const res = await (await app()).inject('/forbidden');
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Only a team admin can &lt;b&gt;do&lt;/b&gt; this');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  });
});
