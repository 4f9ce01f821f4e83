/** A batch's answer for one call that failed on its own while the others succeeded. */
export class Failed {
  constructor(readonly error: unknown) {}
}

interface Pending<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers concurrent calls into batches, one batch running at a time: the calls made while a batch runs
 * form the next one. Under load many logins then share one query, or one transaction and its commit,
 * instead of queueing for pool connections; a lone call waits one event-loop turn, which lets the
 * requests read in the same turn join it. Each caller is answered only when its batch is done.
 */
export class Batcher<I, O> {
  private readonly queue: Pending<I, O>[] = [];
  private running = false;
  private scheduled = false;

  /**
   * `run` answers the inputs in order, a `Failed` for those that failed alone; a rejection fails the
   * whole batch. `maxSize` bounds the rows of one statement (SQLite's bound-variable limit) and the
   * time one batch keeps the event loop busy.
   */
  constructor(
    private readonly run: (inputs: I[]) => Promise<(O | Failed)[]>,
    private readonly maxSize = 256,
  ) {}

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.runNext();
    });
  }

  private async runNext(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch = this.queue.splice(0, this.maxSize);
    try {
      const outputs = await this.run(batch.map((pending) => pending.input));
      batch.forEach((pending, i) => {
        const output = outputs[i] as O | Failed;
        if (output instanceof Failed) pending.reject(output.error);
        else pending.resolve(output);
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    } finally {
      this.running = false;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
