// VUs as async slots for arrival-rate executors: `preAllocated` made up front, more up to `max` on
// demand; acquire() returns undefined when every VU is busy (the caller drops the iteration).
export interface Vu {
  /** 1-based global VU number (unique across workers and segments). */
  id: number;
  /** Iterations this VU has started. */
  iterations: number;
  /** Closed model: this VU's own abort (ramp-down), combined with the scenario's. */
  abort?: AbortController;
  signal?: AbortSignal;
  /** Its running iteration was cut off on its own and already counted interrupted. */
  cut?: boolean;
}

export class VuPool {
  private readonly free: Vu[] = [];
  private created = 0;

  constructor(
    preAllocated: number,
    private readonly max: number,
    /** Global VU index of this pool's j-th VU. */
    private readonly globalIndex: (j: number) => number,
  ) {
    for (let j = 0; j < preAllocated; j++) this.free.push(this.make());
  }

  /** VUs made so far (the load.vus gauge). */
  get size(): number {
    return this.created;
  }

  acquire(): Vu | undefined {
    const vu = this.free.pop();
    if (vu !== undefined) return vu;
    return this.created < this.max ? this.make() : undefined;
  }

  release(vu: Vu): void {
    this.free.push(vu);
  }

  private make(): Vu {
    return { id: this.globalIndex(this.created++) + 1, iterations: 0 };
  }
}
