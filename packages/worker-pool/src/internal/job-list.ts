import type { Job } from './job.js';

/** A FIFO of jobs (intrusive: O(1) push, shift and removal). */
export class JobList {
  head: Job | null = null;
  tail: Job | null = null;
  size = 0;

  push(job: Job): void {
    const tail = this.tail;
    if (tail === null) this.head = job;
    else {
      tail.next = job;
      job.prev = tail;
    }
    this.tail = job;
    this.size++;
  }

  shift(): Job | null {
    const job = this.head;
    if (job !== null) this.remove(job);
    return job;
  }

  remove(job: Job): void {
    const { prev, next } = job;
    if (prev === null) this.head = next;
    else prev.next = next;
    if (next === null) this.tail = prev;
    else next.prev = prev;
    job.prev = job.next = null;
    this.size--;
  }
}
