/**
 * Array operations. Each validates its arguments natively, records a lazy node and returns
 * a new array; nothing is computed until a value is needed or `mx.eval` runs.
 *
 * @module
 */

import { native } from "../ffi/loader.ts";
import { array, type ArrayLike, MxArray } from "./array.ts";
import { type Dtype, dtypeCode, float32, int32 } from "./dtype.ts";
import { checkHandle, checkStatus, MxError } from "./errors.ts";
import { handlesArg, int32Arg } from "./native_args.ts";
import { binaryOpNames, unaryOpNames } from "./op_codes.ts";
import { checkStream, type OpOptions } from "./device.ts";

/**
 * Turns an op argument into an array. A JavaScript number next to an array takes that
 * array's dtype when it can (MLX's weak scalar typing): `int8 + 1` stays int8, `int8 + 1.5`
 * becomes float32. Returns whether the array is a temporary the caller must dispose.
 * @internal
 */
export function asArray(value: ArrayLike, other: ArrayLike): { array: MxArray; temporary: boolean } {
  if (value instanceof MxArray) return { array: value, temporary: false };
  if (typeof value === "boolean") return { array: array(value), temporary: true };
  if (typeof value !== "number") {
    throw new MxError("invalid_argument", `expected an MxArray, number or boolean; got ${typeof value}`);
  }
  let dtype = float32;
  if (other instanceof MxArray) {
    const category = other.dtype.category;
    if (category === "floating" || category === "complexfloating") dtype = other.dtype;
    else if (Number.isInteger(value)) dtype = category === "bool" ? int32 : other.dtype;
  }
  return { array: array(value, dtype), temporary: true };
}

const unaryCodes = new Map(unaryOpNames.split(",").map((name, code) => [name, code]));
const binaryCodes = new Map(binaryOpNames.split(",").map((name, code) => [name, code]));

/** @internal Records the unary op with this native name (see op_codes.ts). */
export function unaryOp(name: string, a: MxArray, options?: OpOptions): MxArray {
  const code = unaryCodes.get(name)!;
  checkStream(name, options?.stream);
  if (!(a instanceof MxArray)) {
    throw new MxError("invalid_argument", `[${name}] expected an MxArray; got ${typeof a}`);
  }
  return new MxArray(checkHandle(native.unary(code, a.handle(name))));
}

/** @internal Records the binary op with this native name, turning scalars into arrays. */
export function binaryOp(name: string, a: ArrayLike, b: ArrayLike, options?: OpOptions): MxArray {
  const code = binaryCodes.get(name)!;
  checkStream(name, options?.stream);
  // Check for disposed arrays first, so the error names this op.
  if (a instanceof MxArray) a.handle(name);
  if (b instanceof MxArray) b.handle(name);
  const left = asArray(a, b);
  const right = asArray(b, a);
  try {
    return new MxArray(checkHandle(native.binary(code, left.array.handle(name), right.array.handle(name))));
  } finally {
    if (left.temporary) left.array.dispose();
    if (right.temporary) right.array.dispose();
  }
}

/**
 * Picks elements from `x` where `condition` is true and from `y` elsewhere, broadcasting all
 * three; `x` and `y` promote to a common dtype.
 *
 * @param condition Where to take `x` (converted to bool).
 * @param x Values where the condition holds.
 * @param y Values elsewhere.
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.where(mx.array([true, false]), mx.array([1, 2]), 0).tolist()); // [1, 0]
 * ```
 */
export function where(condition: ArrayLike, x: ArrayLike, y: ArrayLike, options: OpOptions = {}): MxArray {
  checkStream("where", options.stream);
  for (const value of [condition, x, y]) if (value instanceof MxArray) value.handle("where");
  const c = asArray(condition, condition);
  const left = asArray(x, y);
  const right = asArray(y, x);
  try {
    const handle = native.where(c.array.handle("where"), left.array.handle("where"), right.array.handle("where"));
    return new MxArray(checkHandle(handle));
  } finally {
    for (const item of [c, left, right]) if (item.temporary) item.array.dispose();
  }
}

/**
 * The array converted to `dtype`. Float to integer truncates toward zero and saturates
 * (NaN gives 0); integer to narrower integer wraps; anything to bool tests for non-zero.
 *
 * @param a The array.
 * @param dtype The dtype to convert to.
 * @returns The converted array (lazily), or a new reference if it already has `dtype`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.astype(mx.array([1.7, -2.5, 300]), mx.int8).tolist()); // [1, -2, 127]
 * ```
 */
export function astype(a: MxArray, dtype: Dtype, options: OpOptions = {}): MxArray {
  checkStream("astype", options.stream);
  return new MxArray(checkHandle(native.astype(a.handle("astype"), dtypeCode("astype", dtype))));
}

/**
 * Computes the given arrays (and what they depend on) now. Accepts arrays and nested
 * arrays/objects of arrays; other values are ignored.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.add(mx.array([1, 2]), 1);
 * mx.eval(a); // a is now computed; reading it copies only.
 * ```
 */
export function evaluate(...trees: unknown[]): void {
  const handles = collectHandles(trees);
  if (handles.length > 0) checkStatus(native.eval(handlesArg(handles), handles.length));
}

/**
 * Computes the given arrays on a background thread and resolves when they are done, so the
 * event loop keeps running meanwhile. Accepts the same trees as `mx.eval`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.sum(mx.arange(1000));
 * await mx.asyncEval(a);
 * console.log(a.item()); // 499500
 * ```
 */
export async function asyncEval(...trees: unknown[]): Promise<void> {
  const handles = collectHandles(trees);
  if (handles.length === 0) return;
  const job = native.eval_async(handlesArg(handles), handles.length);
  if (job === 0) checkStatus(native.last_status() || 2);
  let delayMs = 0;
  try {
    for (;;) {
      const status = native.eval_poll(job);
      if (status !== -1) {
        checkStatus(status);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs + 1, 10);
    }
  } finally {
    native.eval_release(job);
  }
}

function collectHandles(trees: unknown[]): number[] {
  const handles: number[] = [];
  const collect = (node: unknown): void => {
    if (node instanceof MxArray) handles.push(node.handle("eval"));
    else if (Array.isArray(node)) node.forEach(collect);
    else if (node !== null && typeof node === "object" && Object.getPrototypeOf(node) === Object.prototype) {
      Object.values(node).forEach(collect);
    }
  };
  trees.forEach(collect);
  return handles;
}

/** Whether `a` has been computed. */
export function isEvaluated(a: MxArray): boolean {
  return native.array_is_evaluated(a.handle("isEvaluated")) === 1;
}
