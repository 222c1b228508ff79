/**
 * Quantized weights as MLX stores them: `quantize`, `dequantize`, `quantizedMatmul`.
 * Affine mode packs `bits` (2, 3, 4, 5, 6 or 8) per value with a scale and a bias per group of
 * `groupSize` (32, 64 or 128) values along the last axis (w ≈ scale * q + bias), bit for bit
 * as MLX's CPU quantizer; `mxfp4` stores 4-bit floats (e2m1) with a power-of-two scale per 32.
 *
 * @module
 */

import { native } from "../ffi/loader.ts";
import { MxArray } from "./array.ts";
import { checkStream, type OpOptions } from "./device.ts";
import type { Dtype } from "./dtype.ts";
import { checkHandle, MxError } from "./errors.ts";
import { arange } from "./creation.ts";
import { dtypeCode, uint32 } from "./dtype.ts";
import { take } from "./indexing.ts";
import { tidy } from "./scope.ts";
import { broadcastArrays, reshape } from "./shapes.ts";

/** How values are quantized: `"affine"` (scale and bias per group) or `"mxfp4"`. */
export type QuantizationMode = "affine" | "mxfp4";

/** Options shared by the quantization ops (MLX's defaults: affine 64/4, mxfp4 32/4). */
export interface QuantizationOptions extends OpOptions {
  /** Values sharing one scale (and bias): 32, 64 or 128 for affine, 32 for mxfp4. */
  groupSize?: number;
  /** Bits per value: 2, 3, 4, 5, 6 or 8 for affine, 4 for mxfp4. */
  bits?: number;
  /** The format (default `"affine"`). */
  mode?: QuantizationMode;
}

/** Options of `dequantize`. */
export interface DequantizeOptions extends QuantizationOptions {
  /** The result's dtype (default: the scales' dtype for affine, bfloat16 for mxfp4). */
  dtype?: Dtype;
}

/** Options of `quantizedMatmul`. */
export interface QuantizedMatmulOptions extends QuantizationOptions {
  /** Multiply by the transposed weights (`x @ w.T`, weights [N, K]; default true). */
  transpose?: boolean;
}

interface Resolved {
  groupSize: number;
  bits: number;
  mode: number;
}

function resolve(op: string, options: QuantizationOptions): Resolved {
  checkStream(op, options.stream);
  const mode = options.mode ?? "affine";
  if (mode !== "affine" && mode !== "mxfp4") {
    throw new MxError("invalid_argument", `[${op}] mode must be "affine" or "mxfp4"; got ${JSON.stringify(mode)}`);
  }
  const groupSize = options.groupSize ?? (mode === "affine" ? 64 : 32);
  const bits = options.bits ?? 4;
  for (const [name, value] of [["groupSize", groupSize], ["bits", bits]] as const) {
    if (!Number.isInteger(value) || value <= 0 || value > 1024) {
      throw new MxError("invalid_argument", `[${op}] ${name} must be a positive integer; got ${value}`);
    }
  }
  return { groupSize, bits, mode: mode === "affine" ? 0 : 1 };
}

/**
 * Quantizes `w` (floating point, at least 2-D, last axis a multiple of `groupSize`) along its
 * last axis. Returns `[wq, scales, biases]` (affine; `wq` is uint32 with `32 / bits` values per
 * element, scales and biases in `w`'s dtype) or `[wq, scales]` (mxfp4; uint8 scales).
 *
 * @param w The weights.
 * @param options `groupSize` (default 64), `bits` (default 4), `mode` (default "affine").
 * @returns The packed codes with their scales (and biases).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const w = mx.reshape(mx.linspace(-1, 1, { num: 64 }), [2, 32]);
 * const [wq, scales, biases] = mx.quantize(w, { groupSize: 32, bits: 4 });
 * console.log(wq.shape, wq.dtype.name, scales.shape); // [ 2, 4 ] uint32 [ 2, 1 ]
 * const back = mx.dequantize(wq, scales, biases, { groupSize: 32, bits: 4 });
 * console.log((mx.max(mx.abs(mx.subtract(back, w))).item() as number) < 0.07); // true
 * ```
 */
export function quantize(w: MxArray, options?: QuantizationOptions & { mode?: "affine" }): [MxArray, MxArray, MxArray];
export function quantize(w: MxArray, options: QuantizationOptions & { mode: "mxfp4" }): [MxArray, MxArray];
export function quantize(w: MxArray, options?: QuantizationOptions): MxArray[];
export function quantize(w: MxArray, options: QuantizationOptions = {}): MxArray[] {
  const p = resolve("quantize", options);
  const handle = w.handle("quantize");
  const parts = p.mode === 0 ? [0, 1, 2] : [0, 1];
  const out: MxArray[] = [];
  try {
    for (const part of parts) {
      out.push(new MxArray(checkHandle(native.quantize(handle, p.groupSize, p.bits, p.mode, part))));
    }
  } catch (e) {
    for (const a of out) a.dispose();
    throw e;
  }
  return out;
}

/**
 * The floating-point matrix that quantized weights stand for (MLX's `dequantize`).
 *
 * @param w The packed codes (uint32).
 * @param scales The scales (uint8 for mxfp4).
 * @param biases The biases (affine), or null (mxfp4).
 * @param options `groupSize`, `bits`, `mode` as given to `quantize`; `dtype` of the result.
 * @returns The dequantized matrix.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const w = mx.array([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
 *   0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]]);
 * const [wq, scales, biases] = mx.quantize(w, { groupSize: 32, bits: 4 });
 * const back = mx.dequantize(wq, scales, biases, { groupSize: 32, bits: 4 });
 * console.log(back.get(0, "0:4").tolist()); // [ 0, 1, 2, 3 ]
 * ```
 */
export function dequantize(
  w: MxArray,
  scales: MxArray,
  biases: MxArray | null = null,
  options: DequantizeOptions = {},
): MxArray {
  const p = resolve("dequantize", options);
  const handle = native.dequantize(
    w.handle("dequantize"),
    scales.handle("dequantize"),
    biases === null ? 0 : biases.handle("dequantize"),
    p.groupSize,
    p.bits,
    p.mode,
    options.dtype === undefined ? -1 : dtypeCode("dequantize", options.dtype),
  );
  return new MxArray(checkHandle(handle));
}

/**
 * `x @ dequantize(w).T` (or `x @ dequantize(w)` with `transpose: false`) without materializing
 * the weights: products with few rows of `x` (decoding) read every packed weight once and
 * unpack it in registers; larger ones feed decoded panels to the blocked GEMM.
 *
 * @param x The input (floating point, `[..., K]`).
 * @param w The packed weights: `[N, K * bits / 32]` (transpose) or `[K, N * bits / 32]`.
 * @param scales The scales.
 * @param biases The biases (affine), or null (mxfp4).
 * @param options `transpose` (default true), `groupSize`, `bits`, `mode`.
 * @returns `[..., N]` in the promoted dtype of `x` and the scales.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const w = mx.random.normal({ shape: [8, 64], key: mx.random.key(0) });
 * const [wq, scales, biases] = mx.quantize(w);
 * const x = mx.ones([1, 64]);
 * const y = mx.quantizedMatmul(x, wq, scales, biases);
 * const reference = mx.matmul(x, mx.transpose(mx.dequantize(wq, scales, biases)));
 * console.log(y.shape, mx.allclose(y, reference, { atol: 1e-4 }).item()); // [ 1, 8 ] true
 * ```
 */
export function quantizedMatmul(
  x: MxArray,
  w: MxArray,
  scales: MxArray,
  biases: MxArray | null = null,
  options: QuantizedMatmulOptions = {},
): MxArray {
  const p = resolve("quantizedMatmul", options);
  const handle = native.quantized_matmul(
    x.handle("quantizedMatmul"),
    w.handle("quantizedMatmul"),
    scales.handle("quantizedMatmul"),
    biases === null ? 0 : biases.handle("quantizedMatmul"),
    p.groupSize,
    p.bits,
    p.mode,
    (options.transpose ?? true) ? 1 : 0,
  );
  return new MxArray(checkHandle(handle));
}

/** Options of `gatherQmm`. */
export interface GatherQmmOptions extends QuantizedMatmulOptions {
  /** Which matrix of `x`'s batch each product takes (default: every one in order). */
  lhsIndices?: MxArray;
  /** Which matrix of `w`'s batch each product takes (default: every one in order). */
  rhsIndices?: MxArray;
  /** MLX's hint that the indices are sorted (accepted; it changes nothing here). */
  sortedIndices?: boolean;
}

/**
 * `quantizedMatmul` of matrices picked by index from the batches of `x` and of the quantized
 * `w` (MLX's `gather_qmm`, the product of mixture-of-experts layers). The indices broadcast
 * together; the result is `[...indices.shape, M, N]`.
 *
 * @param x `[..., M, K]`.
 * @param w The packed weights `[..., N, K * bits / 32]` (transposed) of several matrices.
 * @param scales The scales.
 * @param biases The biases (affine), or null.
 * @param options `lhsIndices`, `rhsIndices`, and `quantizedMatmul`'s options.
 * @returns The products.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const experts = mx.random.normal({ shape: [4, 8, 32], key: mx.random.key(1) });
 * const [wq, s, b] = mx.quantize(experts, { groupSize: 32 });
 * const x = mx.ones([3, 1, 32]);
 * const y = mx.gatherQmm(x, wq, s, b, { groupSize: 32, rhsIndices: mx.array([2, 0, 3], mx.uint32) });
 * console.log(y.shape); // [ 3, 1, 8 ]
 * ```
 */
export function gatherQmm(
  x: MxArray,
  w: MxArray,
  scales: MxArray,
  biases: MxArray | null = null,
  options: GatherQmmOptions = {},
): MxArray {
  const { lhsIndices, rhsIndices, sortedIndices: _sorted, ...qmm } = options;
  if (lhsIndices === undefined && rhsIndices === undefined) return quantizedMatmul(x, w, scales, biases, qmm);
  if (x.ndim < 2 || w.ndim < 2) {
    throw new MxError("invalid_argument", `[gatherQmm] x and w must have at least 2 dimensions; got [${x.shape}] and [${w.shape}]`);
  }
  for (const [name, indices] of [["lhsIndices", lhsIndices], ["rhsIndices", rhsIndices]] as const) {
    if (indices !== undefined && indices.dtype.category !== "signedinteger" && indices.dtype.category !== "unsignedinteger") {
      throw new MxError("invalid_argument", `[gatherQmm] ${name} must be integers; got ${indices.dtype}`);
    }
  }
  return tidy(() => {
    const batchOf = (a: MxArray) => a.shape.slice(0, -2);
    const flat = (a: MxArray) => reshape(a, [-1, ...a.shape.slice(-2)]);
    const identity = (a: MxArray) => reshape(arange(0, batchOf(a).reduce((p, d) => p * d, 1), { dtype: uint32 }), batchOf(a));
    const [lhs, rhs] = broadcastArrays(lhsIndices ?? identity(x), rhsIndices ?? identity(w)) as [MxArray, MxArray];
    const pick = (a: MxArray, indices: MxArray) => take(flat(a), reshape(indices, [-1]), { axis: 0 });
    const out = quantizedMatmul(
      pick(x, lhs),
      pick(w, rhs),
      pick(scales, rhs),
      biases === null ? null : pick(biases, rhs),
      qmm,
    );
    return reshape(out, [...lhs.shape, ...out.shape.slice(-2)]);
  });
}
