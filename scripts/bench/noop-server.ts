/**
 * The ingest benchmark's baseline: Fastify under node:cluster with WEB_CONCURRENCY workers,
 * like dist/server.js, answering POST /api/:projectId/envelope/ after reading the whole body
 * (as sent: no decompression, no parsing, no storage). What HTTP alone costs on this machine.
 *
 *   WEB_CONCURRENCY=2 PORT=9000 node --import tsx scripts/bench/noop-server.ts
 */
import cluster from 'node:cluster';
import Fastify from 'fastify';

const workers = Number(process.env.WEB_CONCURRENCY ?? 2);
const port = Number(process.env.PORT ?? 9000);

if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  let listening = 0;
  cluster.on('listening', () => {
    if (++listening === workers) console.log(`noop listening on ${port}`);
  });
  process.once('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), 200).unref();
  });
} else {
  const app = Fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 20 * 1024 * 1024 }, (_req, body, done) => done(null, body));
  app.get('/health', async () => ({ ok: true }));
  app.post('/api/:projectId/envelope/', async (req) => ({ id: (req.body as Buffer).length > 0 ? '0'.repeat(32) : '' }));
  await app.listen({ host: '127.0.0.1', port });
  process.once('SIGTERM', () => process.exit(0));
}
