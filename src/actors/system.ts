import { type ActorSystemRef, start, stop } from 'nact';

/**
 * The nact actor system of one server process. Token and user actors (the in-memory session state that
 * answers token checks) are spawned under it; it is created before HTTP opens and stopped after HTTP
 * has drained, so no actor disappears under an in-flight request.
 */
export interface ActorSystem {
  readonly root: ActorSystemRef;
  /** Live actors of each keyed family spawned under this system, by kind (for metrics). */
  readonly families: Map<string, () => number>;
  stop(): void;
}

export function startActorSystem(name = 'wazo-auth'): ActorSystem {
  const root = start(name);
  let stopped = false;
  return {
    root,
    families: new Map(),
    stop() {
      if (stopped) return;
      stopped = true;
      stop(root);
    },
  };
}
