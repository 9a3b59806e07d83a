// Fair scheduling of searches. Every client (an MCP session) has its own FIFO lane and the lanes are served round
// robin, so a client that sends a flood waits behind its own calls, never another's. The admission estimate says how
// long a new call of a lane would take to be answered, from the calls in flight per lane and the recent service time:
// past a bound the server refuses at once (503, Retry-After) instead of letting the call wait.

/** Jobs in one FIFO lane per key, taken round robin: one from each lane with work, in turn. */
export class FairQueue<T> {
  // A Map iterates in insertion order: a lane re-inserted after it is served goes to the back of the round.
  private readonly lanes = new Map<string, T[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(lane: string, job: T): void {
    const jobs = this.lanes.get(lane);
    if (jobs) jobs.push(job);
    else this.lanes.set(lane, [job]);
    this.count++;
  }

  /** The next job: the oldest of the lane whose turn it is. */
  shift(): T | undefined {
    for (const [lane, jobs] of this.lanes) {
      const job = jobs.shift()!;
      this.lanes.delete(lane);
      if (jobs.length) this.lanes.set(lane, jobs);
      this.count--;
      return job;
    }
    return undefined;
  }
}

export interface AdmissionLimits {
  /** A call whose answer is expected later than this is refused at once (ms). */
  maxWaitMs: number;
  /** Most calls in flight from one lane, and in all, whatever the estimate says. */
  maxPerLane: number;
  maxTotal: number;
}

/**
 * The bound sits at half the 2 s a caller may be kept waiting: the estimate follows the recent service time, which
 * a machine under load (or a burst of long queries) can stretch before the average catches up.
 */
export const DEFAULT_ADMISSION: AdmissionLimits = { maxWaitMs: 1000, maxPerLane: 256, maxTotal: 2048 };

/** Why a call is refused, and when to come back. */
export interface Refusal {
  reason: string;
  retryAfterSeconds: number;
}

/** Share of the newest service time in the running average. */
const SMOOTHING = 0.2;

/** Calls in flight per lane, the running service time, and the admission decision drawn from them. */
export class LoadGauge {
  private readonly inflight = new Map<string, number>();
  private total = 0;
  private serviceMs = 0;
  /** Calls refused since start (reported by health and the benchmark). */
  refused = 0;

  constructor(
    /** Calls served at once (worker threads). */
    private readonly servers: number,
    private readonly limits: AdmissionLimits = DEFAULT_ADMISSION,
  ) {}

  /** Calls in flight, in all. */
  get calls(): number {
    return this.total;
  }

  /** The running average service time of one call (ms); 0 before the first. */
  get averageMs(): number {
    return this.serviceMs;
  }

  enter(lane: string): void {
    this.inflight.set(lane, (this.inflight.get(lane) ?? 0) + 1);
    this.total++;
  }

  leave(lane: string): void {
    const n = (this.inflight.get(lane) ?? 1) - 1;
    if (n > 0) this.inflight.set(lane, n);
    else this.inflight.delete(lane);
    this.total--;
  }

  /** One call's service time (from the moment a server took it until its answer). */
  served(ms: number): void {
    this.serviceMs = this.serviceMs ? (1 - SMOOTHING) * this.serviceMs + SMOOTHING * ms : ms;
  }

  /**
   * When a new call of `lane` would be answered (ms from now). Round robin serves, before it, the lane's own calls in
   * flight and, from every other lane, as many calls as the round takes until its turn: min(theirs, mine + 1).
   */
  expectedMs(lane: string, ahead = this.ahead(lane)): number {
    return (ahead / this.servers + 1) * this.serviceMs;
  }

  /** The calls served before a new call of `lane`. */
  private ahead(lane: string): number {
    const mine = this.inflight.get(lane) ?? 0;
    let ahead = mine;
    for (const [other, n] of this.inflight) if (other !== lane) ahead += Math.min(n, mine + 1);
    return ahead;
  }

  /** Undefined when a new call of `lane` may enter; else why not and when to retry. */
  admit(lane: string): Refusal | undefined {
    const mine = this.inflight.get(lane) ?? 0;
    const ahead = this.ahead(lane);
    const expected = this.expectedMs(lane, ahead);
    let reason: string | undefined;
    if (mine >= this.limits.maxPerLane) reason = `this client has ${mine} searches in flight already`;
    else if (this.total >= this.limits.maxTotal) reason = `${this.total} searches are in flight already`;
    // A call that a free server takes at once is never refused, however slow the last calls were: else one slow
    // search (a cold cache, a loaded machine) would refuse every call after it, and no call would run to lower it.
    else if (ahead >= this.servers && expected > this.limits.maxWaitMs) reason = `a new search would be answered in about ${Math.round(expected)} ms (the bound is ${this.limits.maxWaitMs} ms)`;
    if (!reason) return undefined;
    this.refused++;
    return { reason, retryAfterSeconds: Math.max(1, Math.ceil(expected / 1000)) };
  }
}
