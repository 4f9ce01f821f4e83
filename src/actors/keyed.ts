import { dispatch, query, type Ref, spawn, stop } from 'nact';
import type { ActorSystem } from './system.js';

/**
 * A family of actors addressed by key (a user uuid, a token uuid): each key has at most one actor, which
 * handles its messages one at a time, so that mutations of one user's or one token's state never
 * interleave. This is the only module that knows nact (unmaintained since 2021): replacing it means
 * rewriting this file alone.
 *
 * Actors are spawned on first use and stopped after `idleMs` without messages (passivation): their
 * durable state is in the database and in the read model they publish, so a respawned actor starts
 * from there.
 */
export interface KeyedActors<M, R> {
  /** Sends `message` to the actor of `key` and resolves with its reply (or rejects with its error). */
  ask(key: string, message: M): Promise<R>;
  /** Live actors, for metrics and tests. */
  size(): number;
  stop(): void;
}

export interface KeyedActorBehaviour<M, R> {
  /** The actor family's name, used in actor paths. */
  kind: string;
  handle(key: string, message: M): Promise<R>;
  /** Passivation delay. */
  idleMs?: number;
  /** How long `ask` waits for a reply; beyond it the caller gets an error, the actor carries on. */
  timeoutMs?: number;
}

type Reply<R> = { ok: true; value: R } | { ok: false; error: unknown };
type Envelope<M, R> = { message: M; sender: Ref<Reply<R>> };

interface Live<M, R> {
  ref: Ref<Envelope<M, R>>;
  lastUsed: number;
  pending: number;
}

export function keyedActors<M, R>(
  system: ActorSystem,
  behaviour: KeyedActorBehaviour<M, R>,
): KeyedActors<M, R> {
  const idleMs = behaviour.idleMs ?? 60_000;
  const timeoutMs = behaviour.timeoutMs ?? 30_000;
  const live = new Map<string, Live<M, R>>();
  let serial = 0;

  const actorOf = (key: string): Live<M, R> => {
    let actor = live.get(key);
    if (!actor) {
      const ref = spawn(
        system.root,
        async (_state: undefined, envelope: Envelope<M, R>) => {
          try {
            dispatch(envelope.sender, { ok: true, value: await behaviour.handle(key, envelope.message) });
          } catch (error) {
            dispatch(envelope.sender, { ok: false, error });
          }
          return undefined;
        },
        // Names must be unique among live siblings; a key's next incarnation gets a fresh one.
        `${behaviour.kind}-${++serial}`,
      );
      actor = { ref, lastUsed: Date.now(), pending: 0 };
      live.set(key, actor);
    }
    return actor;
  };

  const sweeper = setInterval(
    () => {
      const cutoff = Date.now() - idleMs;
      for (const [key, actor] of live) {
        if (actor.pending === 0 && actor.lastUsed < cutoff) {
          live.delete(key);
          stop(actor.ref);
        }
      }
    },
    Math.max(1000, idleMs / 2),
  );
  sweeper.unref();
  system.families?.set(behaviour.kind, () => live.size);

  return {
    async ask(key, message) {
      const actor = actorOf(key);
      actor.pending++;
      actor.lastUsed = Date.now();
      try {
        const reply: Reply<R> = await query(
          actor.ref,
          (sender: Ref<Reply<R>>) => ({ message, sender }),
          timeoutMs,
        );
        if (!reply.ok) throw reply.error;
        return reply.value;
      } finally {
        actor.pending--;
        actor.lastUsed = Date.now();
      }
    },
    size: () => live.size,
    stop() {
      clearInterval(sweeper);
      for (const actor of live.values()) stop(actor.ref);
      live.clear();
    },
  };
}
