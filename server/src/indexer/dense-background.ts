// Runs the dense phase behind whatever else the process does (a watcher's batches, MCP searches): one fill at a
// time, started again when new work arrived while it ran, stopped cleanly on close.
import type { Logger } from "../log/index.ts";
import type { DenseFillReport } from "./dense-fill.ts";

export class DenseBackground {
  private running: Promise<void> | undefined;
  private again = false;
  private abort: AbortController | undefined;
  private stopped = false;

  constructor(
    private readonly fill: (signal: AbortSignal) => Promise<DenseFillReport>,
    private readonly log: Logger,
  ) {}

  /** Starts a fill unless one runs; one that runs picks the new work up before it ends. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = undefined));
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      this.abort = new AbortController();
      try {
        const r = await this.fill(this.abort.signal);
        if (r.embedded || r.reused) this.log.info("dense vectors filled", { embedded: r.embedded, reused: r.reused, done: r.done, total: r.total, ms: r.ms });
      } catch (e) {
        // The backlog stays in the store: the next kick (the next batch, or a restart) carries on from it.
        this.log.warn("dense fill stopped", { error: (e as Error).message });
        return;
      }
    } while (this.again && !this.stopped);
  }

  /** Resolves when no fill runs (tests, and a caller that wants the dense phase finished). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops the running fill after its current batch and waits for it. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    await this.idle();
  }
}
