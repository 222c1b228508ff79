/**
 * Helpers of the autodiff tests: deterministic float64 inputs and central finite differences,
 * the oracle the derivative rules are checked against.
 *
 * @module
 */

import * as mx from "mlx-ts";
import { fromBytes } from "../../src/array.ts";

/**
 * A float64 array of the given shape with values `offset + span * ((i * 7) % 11) / 11`
 * (distinct, unordered values in `[offset, offset + span)`).
 */
export function input(shape: number[], offset = 0.5, span = 0.37): mx.MxArray {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Float64Array.from({ length: size }, (_, i) => offset + span * ((i * 7) % 11) / 11);
  return fromBytes(values, mx.float64, shape);
}

/**
 * Central differences `(f(x + h) - f(x - h)) / 2h` of a scalar function of float64 arrays
 * with respect to `args[argnum]`, one element at a time (flat, row-major order).
 */
export function numericGrad(
  fn: (...args: mx.MxArray[]) => mx.MxArray,
  args: mx.MxArray[],
  argnum: number,
  h = 1e-6,
): number[] {
  const x = args[argnum]!;
  const base = x.toTypedArray() as Float64Array;
  const out: number[] = [];
  for (let i = 0; i < base.length; i++) {
    const at = (delta: number): number => {
      const values = Float64Array.from(base);
      values[i]! += delta;
      using moved = fromBytes(values, mx.float64, x.shape);
      const shifted = args.map((a, k) => (k === argnum ? moved : a));
      using y = fn(...shifted);
      return y.item() as number;
    };
    out.push((at(h) - at(-h)) / (2 * h));
  }
  return out;
}
