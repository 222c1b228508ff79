/**
 * `MxError`: what every failing mlx-ts call throws.
 *
 * @module
 */

import { native } from "../ffi/loader.ts";

/** Why a call failed; the native status codes by name. */
export type MxErrorCode =
  | "invalid_handle"
  | "invalid_argument"
  | "shape_mismatch"
  | "dtype_mismatch"
  | "out_of_memory"
  | "limit_exceeded"
  | "unsupported"
  | "disposed";

const statusCodes: readonly MxErrorCode[] = [
  "invalid_argument", // 0 is success; a failure without a status is an invalid argument.
  "invalid_handle",
  "invalid_argument",
  "shape_mismatch",
  "dtype_mismatch",
  "out_of_memory",
  "limit_exceeded",
  "unsupported",
];

/**
 * An error from mlx-ts. The message names the operation and the offending shapes or dtypes.
 *
 * @example Catching a shape mismatch
 * ```ts
 * import * as mx from "mlx-ts";
 * try {
 *   mx.add(mx.array([1, 2, 3]), mx.array([1, 2]));
 * } catch (e) {
 *   if (e instanceof mx.MxError) console.log(e.code); // "shape_mismatch"
 * }
 * ```
 */
export class MxError extends Error {
  /** The kind of failure. */
  readonly code: MxErrorCode;

  constructor(code: MxErrorCode, message: string) {
    super(message);
    this.name = "MxError";
    this.code = code;
  }
}

const messageBuffer = new Uint8Array(1024);
const decoder = new TextDecoder();

/** The calling thread's last native failure as an `MxError`. */
export function lastNativeError(): MxError {
  const status = native.last_status();
  const length = native.last_error_copy(messageBuffer, messageBuffer.byteLength);
  const message = decoder.decode(messageBuffer.subarray(0, length));
  return new MxError(statusCodes[status] ?? "invalid_argument", message || "native call failed");
}

/** Returns `handle` if it is a real handle, else throws the native error. */
export function checkHandle(handle: number): number {
  if (handle === 0) throw lastNativeError();
  return handle;
}

/** Throws the native error unless `status` is 0. */
export function checkStatus(status: number): void {
  if (status !== 0) throw lastNativeError();
}
