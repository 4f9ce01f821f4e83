import type { Database } from '../entities/orm.js';

/**
 * Whether the database answers a trivial query within `timeoutMs`. Probes arriving while one is running
 * share its answer, so that a burst of them (several orchestrators, many workers) is one query.
 */
export function databaseProbe(orm: Database, timeoutMs = 2000): () => Promise<boolean> {
  let running: Promise<boolean> | null = null;
  return () => {
    if (running) return running;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const query = orm.em
      .getConnection()
      .execute('select 1')
      .then(
        () => true,
        () => false,
      );
    running = Promise.race([query, timeout]).finally(() => {
      clearTimeout(timer);
      running = null;
    });
    return running;
  };
}
