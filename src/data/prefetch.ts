/**
 * Background evaluation for synchronous loops: `mx.asyncEval` needs the event loop to notice
 * that its job finished (and to free the job's slot), which a plain `for ... of` loop never
 * gives it. A `BackgroundEval` is waited for synchronously instead.
 *
 * @module
 */

import { native } from "../../ffi/loader.ts";
import type { MxArray } from "../array.ts";
import { lastNativeError } from "../errors.ts";
import { handlesArg } from "../native_args.ts";
import { evaluate } from "../ops.ts";

/** Arrays being evaluated on a background thread. */
export class BackgroundEval {
  readonly #arrays: MxArray[];
  #job: number;

  /** Starts evaluating `arrays` on a new thread. */
  constructor(arrays: MxArray[]) {
    this.#arrays = arrays;
    const handles = arrays.map((a) => a.handle("batches"));
    this.#job = handles.length === 0 ? 0 : native.eval_async(handlesArg(handles), handles.length);
    if (handles.length > 0 && this.#job === 0) throw lastNativeError();
  }

  /** Blocks until the arrays are computed and frees the job; throws the evaluation's error. */
  wait(): void {
    if (this.#job === 0) return;
    const job = this.#job;
    this.#job = 0;
    try {
      // Evaluations are serialized by the graph's mutex, so this returns once the job has
      // computed the arrays (or computes them itself if the job has not started yet).
      evaluate(this.#arrays);
    } finally {
      // Past its evaluation the job only drops its references: a few microseconds.
      let status = native.eval_poll(job);
      while (status === -1) status = native.eval_poll(job);
      const failure = status === 0 ? undefined : lastNativeError();
      native.eval_release(job);
      if (failure !== undefined) throw failure;
    }
  }
}
