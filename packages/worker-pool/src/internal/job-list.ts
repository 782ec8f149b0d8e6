import type { Job } from './job.js';

const MIN_CAPACITY = 16;

/**
 * A FIFO of jobs: a ring buffer of slots, O(1) push and shift, O(1) removal of a job that has
 * a `cancel` record (the only jobs ever removed out of order: their caller's signal fired).
 *
 * Not an intrusive linked list on purpose. With 100k jobs queued, `prev`/`next` pointers made
 * V8's young-generation GC several times slower than an array holding the same jobs (every
 * scavenge has to walk the chain one object at a time); see bench/suites/worker-pool.mjs.
 *
 * A removed job leaves a hole (its slot is cleared at once, so the job itself is not kept);
 * holes at either end are dropped at once, and the ring is compacted when holes outnumber the
 * jobs, so holes never cost more than the jobs themselves (amortised O(1)).
 */
export class JobList {
  /** How many jobs are queued (holes not counted). */
  size = 0;
  #slots: (Job | undefined)[] = [];
  #mask = -1;
  /** Position of the first occupied slot; positions grow without wrapping, the slot is `position & mask`. */
  #first = 0;
  /** One past the position of the last occupied slot. */
  #end = 0;

  /** How many slots lie between the first and the last job, holes included (for tests). */
  get span(): number {
    return this.#end - this.#first;
  }

  push(job: Job): void {
    if (this.#end - this.#first === this.#slots.length) this.#grow();
    const position = this.#end++;
    this.#slots[position & this.#mask] = job;
    const cancel = job.cancel;
    if (cancel !== undefined) cancel.position = position;
    this.size++;
  }

  /** Takes the first job, or `null` when there is none. */
  shift(): Job | null {
    const slots = this.#slots;
    const mask = this.#mask;
    while (this.#first < this.#end) {
      const index = this.#first++ & mask;
      const job = slots[index];
      if (job !== undefined) {
        slots[index] = undefined;
        this.size--;
        if (this.size === 0) this.#first = this.#end = 0;
        return job;
      }
    }
    return null;
  }

  /** Takes out a queued job that has a `cancel` record (its position is kept there). */
  remove(job: Job): void {
    const position = (job.cancel as { position: number }).position;
    const slots = this.#slots;
    const mask = this.#mask;
    if (position < this.#first || position >= this.#end || slots[position & mask] !== job) return;
    slots[position & mask] = undefined;
    this.size--;
    if (this.size === 0) {
      this.#first = this.#end = 0;
      return;
    }
    while (slots[this.#first & mask] === undefined) this.#first++;
    while (slots[(this.#end - 1) & mask] === undefined) this.#end--;
    if (this.#end - this.#first > 2 * this.size + MIN_CAPACITY) this.#compact();
  }

  #grow(): void {
    const old = this.#slots;
    const oldCapacity = old.length;
    if (oldCapacity === 0) {
      this.#slots = new Array<Job | undefined>(MIN_CAPACITY).fill(undefined);
      this.#mask = MIN_CAPACITY - 1;
      return;
    }
    // Twice the capacity, natively (`concat`, not `new Array(n)`: V8 makes a preallocated array
    // of 100k slots or more a dictionary). Every job is now in two slots: position p belongs at
    // `p & mask`, which is its old index plus `oldCapacity` when p has that bit; clear the other.
    const slots = old.concat(old);
    for (let position = this.#first; position < this.#end; position++) {
      slots[(position & oldCapacity) === 0 ? (position & this.#mask) + oldCapacity : position & this.#mask] = undefined;
    }
    this.#slots = slots;
    this.#mask = 2 * oldCapacity - 1;
  }

  /** Closes the holes: the jobs keep their order and get new positions. */
  #compact(): void {
    const slots = this.#slots;
    const mask = this.#mask;
    let to = this.#first;
    for (let from = this.#first; from < this.#end; from++) {
      const job = slots[from & mask];
      if (job === undefined) continue;
      slots[from & mask] = undefined;
      slots[to & mask] = job;
      const cancel = job.cancel;
      if (cancel !== undefined) cancel.position = to;
      to++;
    }
    this.#end = to;
  }
}
