/**
 * Background evaluation for synchronous loops: `mx.asyncEval` needs the event loop to notice
 * that its job finished (and to free the job's slot), which a plain `for ... of` loop never
 * gives it. A `BackgroundEval` is waited for synchronously instead; its job's slot is freed
 * once the job has dropped its references, checked without blocking on later calls.
 *
 * @module
 */

import { native } from "../../ffi/loader.ts";
import type { MxArray } from "../array.ts";
import { lastNativeError } from "../errors.ts";
import { handlesArg } from "../native_args.ts";
import { evaluate } from "../ops.ts";

/** Jobs whose arrays are computed but which may still be dropping their references. */
const finishing = new Set<number>();
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Frees the finishing jobs that are done; with `block`, waits for all of them. */
export function releaseFinishedJobs(block = false): void {
  for (const job of finishing) {
    let status = native.eval_poll(job);
    // A job past its evaluation only releases references: sleep 50 us at a time, not spin,
    // so the job's thread gets the CPU on a loaded machine.
    while (block && status === -1) {
      Atomics.wait(sleepCell, 0, 0, 0.05);
      status = native.eval_poll(job);
    }
    if (status !== -1) {
      native.eval_release(job);
      finishing.delete(job);
    }
  }
}

/** Arrays being evaluated on a background thread. */
export class BackgroundEval {
  readonly #arrays: MxArray[];
  #job: number;

  /** Starts evaluating `arrays` on a new thread. */
  constructor(arrays: MxArray[]) {
    releaseFinishedJobs();
    this.#arrays = arrays;
    const handles = arrays.map((a) => a.handle("batches"));
    this.#job = handles.length === 0 ? 0 : native.eval_async(handlesArg(handles), handles.length);
    if (handles.length > 0 && this.#job === 0) throw lastNativeError();
  }

  /** Blocks until the arrays are computed; throws the evaluation's error. */
  wait(): void {
    if (this.#job === 0) return;
    const job = this.#job;
    this.#job = 0;
    finishing.add(job);
    // Evaluations are serialized by the graph's mutex, so this returns once the job has
    // computed the arrays (or computes them itself if the job has not started yet); a
    // failing evaluation fails here again with its error.
    evaluate(this.#arrays);
  }

  /** Waits for the job to finish and frees it (for abandoned prefetches). */
  cancel(): void {
    try {
      this.wait();
    } finally {
      releaseFinishedJobs(true);
    }
  }
}
