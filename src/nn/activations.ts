/**
 * MLX's activation functions (`mlx.nn` functional forms): the same formulas and scalar types
 * as `mlx/nn/layers/activations.py`, composed from core ops, so they differentiate through
 * `mx.grad`. Python-float constants follow MLX's typing: integer inputs give float32 where MLX
 * writes a float literal (`relu6`, `celu`, `hardTanh`, ...).
 *
 * @module
 */

import { array, type MxArray } from "../array.ts";
import { int32 } from "../dtype.ts";
import {
  abs,
  add,
  divide,
  erf,
  exp,
  greater,
  greaterEqual,
  logaddexp,
  maximum,
  minimum,
  multiply,
  negative,
  power,
  sigmoid as coreSigmoid,
  sign,
  square,
  stopGradient,
  subtract,
  tanh as coreTanh,
} from "../elementwise.ts";
import { where } from "../ops.ts";
import { logsumexp, max, softmax as coreSoftmax } from "../reductions.ts";
import { split } from "../joining.ts";
import { tidy } from "../scope.ts";
import { checkArray, pyFloat } from "./scalars.ts";

/** Options of the activations that work along an axis. */
export interface AxisOptions {
  /** The axis (default -1). */
  axis?: number;
}

/**
 * The logistic sigmoid `1 / (1 + exp(-x))`, element-wise.
 *
 * @param x The input.
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.sigmoid(mx.array([0])).tolist()); // [0.5]
 * ```
 */
export function sigmoid(x: MxArray): MxArray {
  checkArray("sigmoid", x, "x");
  return coreSigmoid(x);
}

/**
 * The hyperbolic tangent, element-wise.
 *
 * @param x The input.
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.tanh(mx.array([0])).tolist()); // [0]
 * ```
 */
export function tanh(x: MxArray): MxArray {
  checkArray("tanh", x, "x");
  return coreTanh(x);
}

/**
 * The rectified linear unit `max(x, 0)`.
 *
 * @param x The input.
 * @returns A new array (lazy), of `x`'s dtype.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.relu(mx.array([-1, 2])).tolist()); // [0, 2]
 * ```
 */
export function relu(x: MxArray): MxArray {
  checkArray("relu", x, "x");
  return maximum(x, 0);
}

/**
 * The squared ReLU `max(x, 0)^2`.
 *
 * @param x The input.
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.relu2(mx.array([-1, 3])).tolist()); // [0, 9]
 * ```
 */
export function relu2(x: MxArray): MxArray {
  checkArray("relu2", x, "x");
  return tidy(() => square(maximum(x, 0)));
}

/**
 * ReLU capped at 6: `min(max(x, 0), 6.0)` (float32 for integer input, as MLX).
 *
 * @param x The input.
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.relu6(mx.array([-1, 3, 9])).tolist()); // [0, 3, 6]
 * ```
 */
export function relu6(x: MxArray): MxArray {
  checkArray("relu6", x, "x");
  return tidy(() => minimum(maximum(x, 0), pyFloat(6, x)));
}

/**
 * The leaky ReLU `max(negativeSlope * x, x)`.
 *
 * @param x The input.
 * @param options `negativeSlope` (default 0.01).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.leakyRelu(mx.array([-2, 2]), { negativeSlope: 0.5 }).tolist()); // [-1, 2]
 * ```
 */
export function leakyRelu(x: MxArray, options: { negativeSlope?: number } = {}): MxArray {
  checkArray("leakyRelu", x, "x");
  const slope = options.negativeSlope ?? 0.01;
  return tidy(() => maximum(multiply(pyFloat(slope, x), x), x));
}

/**
 * The log-softmax `x - logsumexp(x)` along an axis, shifted by the (constant) maximum first
 * for accuracy with large inputs.
 *
 * @param x The input.
 * @param options `axis` (default -1).
 * @returns A new array (lazy), of `x`'s shape.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.logSoftmax(mx.array([0, 0])).tolist()); // [-0.6931471824645996, -0.6931471824645996]
 * ```
 */
export function logSoftmax(x: MxArray, options: AxisOptions = {}): MxArray {
  checkArray("logSoftmax", x, "x");
  const axis = options.axis ?? -1;
  return tidy(() => {
    const shifted = subtract(x, stopGradient(max(x, { axis, keepdims: true })));
    return subtract(shifted, logsumexp(shifted, { axis, keepdims: true }));
  });
}

/**
 * The softmax `exp(x) / sum(exp(x))` along an axis (`mx.softmax`).
 *
 * @param x The input.
 * @param options `axis` (default -1).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.softmax(mx.array([1, 1])).tolist()); // [0.5, 0.5]
 * ```
 */
export function softmax(x: MxArray, options: AxisOptions = {}): MxArray {
  checkArray("softmax", x, "x");
  return coreSoftmax(x, { axis: options.axis ?? -1 });
}

/**
 * The softmin: the softmax of `-x` along an axis.
 *
 * @param x The input.
 * @param options `axis` (default -1).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.softmin(mx.array([2, 2])).tolist()); // [0.5, 0.5]
 * ```
 */
export function softmin(x: MxArray, options: AxisOptions = {}): MxArray {
  checkArray("softmin", x, "x");
  return tidy(() => coreSoftmax(negative(x), { axis: options.axis ?? -1 }));
}

/**
 * The exponential linear unit `where(x > 0, x, alpha * (exp(x) - 1))`.
 *
 * @param x The input.
 * @param options `alpha` (default 1).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.elu(mx.array([0, 2])).tolist()); // [0, 2]
 * ```
 */
export function elu(x: MxArray, options: { alpha?: number } = {}): MxArray {
  checkArray("elu", x, "x");
  const alpha = options.alpha ?? 1;
  return tidy(() => where(greater(x, 0), x, multiply(alpha, subtract(exp(x), 1))));
}

/**
 * The continuously differentiable ELU `max(x, 0) + alpha * (exp(min(x, 0) / alpha) - 1)`.
 *
 * @param x The input.
 * @param options `alpha` (default 1).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.celu(mx.array([0, 2])).tolist()); // [0, 2]
 * ```
 */
export function celu(x: MxArray, options: { alpha?: number } = {}): MxArray {
  checkArray("celu", x, "x");
  const alpha = options.alpha ?? 1;
  return tidy(() => {
    const zero = pyFloat(0, x);
    const negativePart = subtract(exp(divide(minimum(x, zero), alpha)), 1);
    return add(maximum(x, zero), multiply(alpha, negativePart));
  });
}

/**
 * The scaled ELU: `elu(x, { alpha: 1.67326 }) * 1.0507`.
 *
 * @param x The input.
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.selu(mx.array([0])).tolist()); // [0]
 * ```
 */
export function selu(x: MxArray): MxArray {
  checkArray("selu", x, "x");
  return tidy(() => multiply(elu(x, { alpha: 1.67326 }), 1.0507));
}

/**
 * The sigmoid linear unit (swish) `x * sigmoid(x)`.
 *
 * @param x The input.
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.silu(mx.array([0])).tolist()); // [0]
 * ```
 */
export function silu(x: MxArray): MxArray {
  checkArray("silu", x, "x");
  return tidy(() => multiply(x, coreSigmoid(x)));
}

/**
 * The softplus `log(1 + exp(x))`, computed as `logaddexp(x, 0)`.
 *
 * @param x The input.
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.softplus(mx.array([0])).tolist()); // [0.6931471824645996]
 * ```
 */
export function softplus(x: MxArray): MxArray {
  checkArray("softplus", x, "x");
  return logaddexp(x, 0);
}

/**
 * The log-sigmoid `-softplus(-x)`.
 *
 * @param x The input.
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.logSigmoid(mx.array([0])).tolist()); // [-0.6931471824645996]
 * ```
 */
export function logSigmoid(x: MxArray): MxArray {
  checkArray("logSigmoid", x, "x");
  return tidy(() => negative(softplus(negative(x))));
}

/**
 * The softsign `x / (1 + |x|)`.
 *
 * @param x The input.
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.softsign(mx.array([-3, 1])).tolist()); // [-0.75, 0.5]
 * ```
 */
export function softsign(x: MxArray): MxArray {
  checkArray("softsign", x, "x");
  return tidy(() => divide(x, add(1, abs(x))));
}

/**
 * The soft shrinkage: `x - sign(x) * lambd` where `|x| > lambd`, else 0.
 *
 * @param x The input.
 * @param options `lambd` (default 0.5).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.softshrink(mx.array([-2, 0.25, 1])).tolist()); // [-1.5, 0, 0.5]
 * ```
 */
export function softshrink(x: MxArray, options: { lambd?: number } = {}): MxArray {
  checkArray("softshrink", x, "x");
  const lambd = options.lambd ?? 0.5;
  return tidy(() => where(greater(abs(x), lambd), subtract(x, multiply(sign(x), lambd)), 0));
}

/**
 * The hard shrinkage: `x` where `|x| > lambd`, else 0.
 *
 * @param x The input.
 * @param options `lambd` (default 0.5).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.hardShrink(mx.array([-2, 0.25, 1])).tolist()); // [-2, 0, 1]
 * ```
 */
export function hardShrink(x: MxArray, options: { lambd?: number } = {}): MxArray {
  checkArray("hardShrink", x, "x");
  const lambd = options.lambd ?? 0.5;
  return tidy(() => where(greater(abs(x), lambd), x, 0));
}

/**
 * The hard tanh `min(max(x, minVal), maxVal)`.
 *
 * @param x The input.
 * @param options `minVal` (default -1), `maxVal` (default 1).
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.hardTanh(mx.array([-2, 0.5, 3])).tolist()); // [-1, 0.5, 1]
 * ```
 */
export function hardTanh(x: MxArray, options: { minVal?: number; maxVal?: number } = {}): MxArray {
  checkArray("hardTanh", x, "x");
  return tidy(() => {
    const low = maximum(x, pyFloat(options.minVal ?? -1, x));
    return minimum(low, pyFloat(options.maxVal ?? 1, low));
  });
}

/**
 * The hard swish `x * min(max(x + 3, 0), 6) / 6`.
 *
 * @param x The input.
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.hardswish(mx.array([-4, 0, 3])).tolist()); // [-0, 0, 3]
 * ```
 */
export function hardswish(x: MxArray): MxArray {
  checkArray("hardswish", x, "x");
  return tidy(() => divide(multiply(x, minimum(maximum(add(x, 3), 0), 6)), 6));
}

/**
 * Mish `x * tanh(softplus(x))`.
 *
 * @param x The input.
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.mish(mx.array([0])).tolist()); // [0]
 * ```
 */
export function mish(x: MxArray): MxArray {
  checkArray("mish", x, "x");
  return tidy(() => multiply(x, coreTanh(softplus(x))));
}

/**
 * The Gaussian error linear unit `x * (1 + erf(x / sqrt(2))) / 2` (exact form).
 *
 * @param x The input.
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.gelu(mx.array([0])).tolist()); // [0]
 * ```
 */
export function gelu(x: MxArray): MxArray {
  checkArray("gelu", x, "x");
  return tidy(() => divide(multiply(x, add(1, erf(divide(x, Math.SQRT2)))), 2));
}

/**
 * The tanh approximation of GELU:
 * `0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))`.
 *
 * @param x The input.
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.geluApprox(mx.array([0])).tolist()); // [0]
 * ```
 */
export function geluApprox(x: MxArray): MxArray {
  checkArray("geluApprox", x, "x");
  return tidy(() => {
    const inner = multiply(Math.sqrt(2 / Math.PI), add(x, multiply(0.044715, power(x, 3))));
    return multiply(multiply(0.5, x), add(1, coreTanh(inner)));
  });
}

/**
 * The sigmoid approximation of GELU `x * sigmoid(1.702 * x)`.
 *
 * @param x The input.
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.geluFastApprox(mx.array([0])).tolist()); // [0]
 * ```
 */
export function geluFastApprox(x: MxArray): MxArray {
  checkArray("geluFastApprox", x, "x");
  return tidy(() => multiply(x, coreSigmoid(multiply(1.702, x))));
}

/**
 * The gated linear unit: splits `axis` into halves `a`, `b` and returns `a * sigmoid(b)`.
 *
 * @param x The input; its `axis` has an even size.
 * @param options `axis` (default -1).
 * @returns A new array (lazy), half as long along `axis`.
 * @throws {MxError} When the axis has an odd size.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.glu(mx.array([3, 0])).tolist()); // [1.5]
 * ```
 */
export function glu(x: MxArray, options: AxisOptions = {}): MxArray {
  checkArray("glu", x, "x");
  return tidy(() => {
    const [a, b] = split(x, 2, { axis: options.axis ?? -1 });
    return multiply(a!, coreSigmoid(b!));
  });
}

/**
 * The binary step: 1 where `x >= threshold`, else 0, as int32 (MLX's integer literals).
 *
 * @param x The input.
 * @param options `threshold` (default 0).
 * @returns A new int32 array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const s = mx.nn.step(mx.array([-1, 0, 2]));
 * console.log(s.tolist(), s.dtype.name); // [0, 1, 1] int32
 * ```
 */
export function step(x: MxArray, options: { threshold?: number } = {}): MxArray {
  checkArray("step", x, "x");
  return tidy(() => where(greaterEqual(x, options.threshold ?? 0), array(1, int32), array(0, int32)));
}

/**
 * The parametric ReLU `max(0, x) + alpha * min(0, x)`, with `alpha` an array that
 * broadcasts against `x`.
 *
 * @param x The input.
 * @param alpha The slopes for negative inputs.
 * @returns A new array (lazy).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.nn.prelu(mx.array([-2, 2]), mx.array([0.25])).tolist()); // [-0.5, 2]
 * ```
 */
export function prelu(x: MxArray, alpha: MxArray): MxArray {
  checkArray("prelu", x, "x");
  checkArray("prelu", alpha, "alpha");
  return tidy(() => add(maximum(0, x), multiply(alpha, minimum(0, x))));
}
