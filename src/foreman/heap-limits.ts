/**
 * V8 heap bounds of the foreman's threads (worker_threads resourceLimits), measured with
 * scripts/bench/digest.ts on 2 cores: the young generation sets both the RSS and the cost of
 * garbage collection (4 MB: -30% digest rate; 8 MB: -3%, ~200 MB RSS for the process; 16 MB:
 * +20 MB RSS for no gain). The old generation bound only stops the heap from growing by
 * allocation rate alone; 128 MB leaves room for a batch of 1 MiB events parsed at once.
 */
import type { ResourceLimits } from 'node:worker_threads';

export const FOREMAN_HEAP: ResourceLimits = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 128 };
