/**
 * `mx.memory`: how much native memory arrays hold, and a limit on it.
 *
 * @module
 */

import { native } from "../ffi/loader.ts";

/**
 * Bytes held by array buffers now.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.memory.activeBytes());
 * ```
 */
export function activeBytes(): number {
  return Number(native.memory_active_bytes());
}

/**
 * The most bytes array buffers held at once since start or `resetPeak()`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * mx.memory.resetPeak();
 * mx.sum(mx.array(new Float32Array(1000))).item();
 * console.log(mx.memory.peakBytes() >= 4000); // true
 * ```
 */
export function peakBytes(): number {
  return Number(native.memory_peak_bytes());
}

/** Sets the peak to the current active bytes. */
export function resetPeak(): void {
  native.memory_reset_peak();
}

/**
 * Limits the bytes array buffers may hold (0: no limit). An allocation past it throws an
 * `MxError` with code `out_of_memory`. Returns the previous limit.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const previous = mx.memory.setMemoryLimit(1 << 30);
 * mx.memory.setMemoryLimit(previous);
 * ```
 */
export function setMemoryLimit(limitBytes: number): number {
  if (!Number.isSafeInteger(limitBytes) || limitBytes < 0) {
    throw new RangeError(`[setMemoryLimit] expected a byte count >= 0; got ${limitBytes}`);
  }
  return Number(native.memory_set_limit(BigInt(limitBytes)));
}

/**
 * Bytes of freed buffers kept for reuse (not counted in `activeBytes`).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.memory.cacheBytes() >= 0); // true
 * ```
 */
export function cacheBytes(): number {
  return Number(native.memory_cache_bytes());
}

/**
 * Bounds the bytes of freed buffers kept for reuse (0 disables the cache; default 1 GiB) and
 * returns the previous bound.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const previous = mx.memory.setCacheLimit(0); // no caching
 * mx.memory.setCacheLimit(previous);
 * ```
 */
export function setCacheLimit(limitBytes: number): number {
  if (!Number.isSafeInteger(limitBytes) || limitBytes < 0) {
    throw new RangeError(`[setCacheLimit] expected a byte count >= 0; got ${limitBytes}`);
  }
  return Number(native.memory_set_cache_limit(BigInt(limitBytes)));
}

/**
 * Frees the buffers kept for reuse.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * mx.memory.clearCache();
 * console.log(mx.memory.cacheBytes()); // 0
 * ```
 */
export function clearCache(): void {
  native.memory_clear_cache();
}

/** Number of arrays alive (created and not yet disposed or collected). */
export function liveArrays(): number {
  return native.live_handles();
}
