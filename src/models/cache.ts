/**
 * Key/value caches of attention layers, as mlx-lm keeps them: `KVCache` holds every past
 * position (written in place into a buffer grown in steps of 256), `RotatingKVCache` only the
 * last `maxSize` (sliding-window attention). Each layer of a model has its own.
 *
 * @module
 */

import type { MxArray } from "../array.ts";
import { arange, zeros } from "../creation.ts";
import { greaterEqual, less, logicalAnd, subtract } from "../elementwise.ts";
import { index, sliceUpdate } from "../indexing.ts";
import { concatenate } from "../joining.ts";
import { keep } from "../scope.ts";
import { expandDims } from "../shapes.ts";

/** What a cache gives attention for its mask: none, MLX's `"causal"`, or a boolean array. */
export type AttentionMask = "causal" | MxArray | undefined;

/** One attention layer's memory of past keys and values. */
export interface Cache {
  /** Positions seen so far (the position of the next token). */
  readonly offset: number;
  /** Appends `[B, heads, L, D]` keys and values; returns all keys and values to attend to. */
  update(keys: MxArray, values: MxArray): [MxArray, MxArray];
  /** The mask for `length` new queries against what `update` returns (call before `update`). */
  mask(length: number, windowSize?: number): AttentionMask;
  /** Frees the cached arrays. */
  dispose(): void;
}

/** Positions are allocated in steps of this many (mlx-lm's step). */
const step = 256;

/** The mask of `queries` new positions after `offset` against keys at positions `first ..`. */
function windowMask(queries: number, offset: number, first: number, keyCount: number, windowSize?: number): MxArray {
  using q = expandDims(arange(offset, offset + queries), 1);
  using k = expandDims(arange(first, first + keyCount), 0);
  const causal = greaterEqual(q, k);
  if (windowSize === undefined) return causal;
  using _causal = causal;
  using distance = subtract(q, k);
  using inWindow = less(distance, windowSize);
  return logicalAnd(causal, inWindow);
}

/**
 * Every past key and value. The buffers grow by 256 positions and are written in place.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const cache = new mx.models.KVCache();
 * const [k] = cache.update(mx.ones([1, 2, 3, 4]), mx.ones([1, 2, 3, 4]));
 * console.log(k.shape, cache.offset); // [ 1, 2, 3, 4 ] 3
 * ```
 */
export class KVCache implements Cache {
  #keys: MxArray | undefined;
  #values: MxArray | undefined;
  #offset = 0;

  get offset(): number {
    return this.#offset;
  }

  mask(length: number, windowSize?: number): AttentionMask {
    if (windowSize !== undefined) return windowMask(length, this.#offset, 0, this.#offset + length, windowSize);
    return length === 1 ? undefined : "causal";
  }

  update(keys: MxArray, values: MxArray): [MxArray, MxArray] {
    const length = keys.shape[2]!;
    const previous = this.#offset;
    if (this.#keys === undefined || previous + length > this.#keys.shape[2]!) {
      const steps = Math.ceil((previous + length) / step);
      const grow = (current: MxArray | undefined, like: MxArray): MxArray => {
        const [b, h, , d] = like.shape as [number, number, number, number];
        if (current === undefined) return zeros([b, h, steps * step, d], like.dtype);
        using extra = zeros([b, h, steps * step - current.shape[2]!, d], like.dtype);
        using used = index(current, "...", `0:${current.shape[2]!}`, ":");
        current.dispose();
        return concatenate([used, extra], { axis: 2 });
      };
      this.#keys = keep(grow(this.#keys, keys));
      this.#values = keep(grow(this.#values, values));
    }
    // The old buffers' handles go before evaluation, so the update writes in place.
    const start = [0, 0, previous, 0];
    const nextKeys = keep(sliceUpdate(this.#keys, keys, start, [0, 1, 2, 3]));
    const nextValues = keep(sliceUpdate(this.#values!, values, start, [0, 1, 2, 3]));
    this.#keys.dispose();
    this.#values!.dispose();
    this.#keys = nextKeys;
    this.#values = nextValues;
    this.#offset += length;
    return [index(this.#keys, "...", `0:${this.#offset}`, ":"), index(this.#values, "...", `0:${this.#offset}`, ":")];
  }

  dispose(): void {
    this.#keys?.dispose();
    this.#values?.dispose();
    this.#keys = this.#values = undefined;
  }
}

/**
 * The last `maxSize` positions (sliding-window attention): a new token attends to itself and
 * the `maxSize - 1` before it.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const cache = new mx.models.RotatingKVCache(4);
 * for (let i = 0; i < 6; i++) cache.update(mx.ones([1, 1, 1, 2]), mx.ones([1, 1, 1, 2]));
 * console.log(cache.update(mx.ones([1, 1, 1, 2]), mx.ones([1, 1, 1, 2]))[0].shape, cache.offset); // [ 1, 1, 4, 2 ] 7
 * ```
 */
export class RotatingKVCache implements Cache {
  readonly maxSize: number;
  #keys: MxArray | undefined;
  #values: MxArray | undefined;
  #offset = 0;

  constructor(maxSize: number) {
    if (!Number.isInteger(maxSize) || maxSize <= 0) {
      throw new Error(`[RotatingKVCache] maxSize must be a positive integer; got ${maxSize}`);
    }
    this.maxSize = maxSize;
  }

  get offset(): number {
    return this.#offset;
  }

  mask(length: number, windowSize: number = this.maxSize): AttentionMask {
    const kept = this.#keys?.shape[2] ?? 0;
    if (length === 1 && windowSize >= this.maxSize) return undefined;
    return windowMask(length, this.#offset, this.#offset - kept, kept + length, windowSize);
  }

  update(keys: MxArray, values: MxArray): [MxArray, MxArray] {
    // The returned arrays belong to the caller's scope; only what is stored is kept.
    const join = (old: MxArray | undefined, fresh: MxArray) =>
      old === undefined ? index(fresh, "...") : concatenate([old, fresh], { axis: 2 });
    const allKeys = join(this.#keys, keys);
    const allValues = join(this.#values, values);
    this.#keys?.dispose();
    this.#values?.dispose();
    // Keep what the next token can still see: the last maxSize - 1 positions.
    const total = allKeys.shape[2]!;
    const first = Math.max(0, total - (this.maxSize - 1));
    this.#keys = keep(index(allKeys, "...", `${first}:`, ":"));
    this.#values = keep(index(allValues, "...", `${first}:`, ":"));
    this.#offset += keys.shape[2]!;
    return [allKeys, allValues];
  }

  dispose(): void {
    this.#keys?.dispose();
    this.#values?.dispose();
    this.#keys = this.#values = undefined;
  }
}
