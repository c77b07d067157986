/** GET /health: 200 when this worker can read both databases, 503 otherwise. */
import type { FastifyInstance } from 'fastify';
import type { MainDb, QueueDb } from '../db/open.js';
import { keyVersion } from '../projects/projects.js';
import { queueCounts } from '../queue/take-batch.js';

export async function healthRoutes(app: FastifyInstance, dbs: { main: MainDb; queue: QueueDb }): Promise<void> {
  app.get('/health', async (_req, reply) => {
    try {
      keyVersion(dbs.main);
      const queue = queueCounts(dbs.queue);
      return { status: 'ok', queue };
    } catch (err) {
      app.log.error({ err }, 'health check failed');
      return reply.code(503).send({ status: 'unavailable', detail: 'a database cannot be read' });
    }
  });
}
