/**
 * Upsample (MLX's `nn.layers.upsample`): nearest, linear and cubic interpolation of the
 * spatial axes of `[N, ...spatial, C]` inputs, with `alignCorners` and, for linear and cubic,
 * `antialias` (separable filters), computed with MLX's index and weight recipes (float32).
 *
 * @module
 */

import type { MxArray } from "../../array.ts";
import { arange } from "../../creation.ts";
import { float32, uint32 } from "../../dtype.ts";
import {
  abs,
  add,
  ceil,
  clip,
  divide,
  floor,
  greater,
  greaterEqual,
  less,
  lessEqual,
  logicalAnd,
  maximum,
  multiply,
  round,
  subtract,
} from "../../elementwise.ts";
import { MxError } from "../../errors.ts";
import { index, take } from "../../indexing.ts";
import { astype, where } from "../../ops.ts";
import { tidy } from "../../scope.ts";
import { broadcastTo, expandDims, reshape } from "../../shapes.ts";
import { Module } from "../module.ts";

/** Interpolation modes of `Upsample`. */
export type UpsampleMode = "nearest" | "linear" | "cubic";

/** Options of `Upsample`. */
export interface UpsampleOptions {
  /** `"nearest"` (default), `"linear"` or `"cubic"`. */
  mode?: UpsampleMode;
  /** Map the corner pixels of input and output onto each other (default false). */
  alignCorners?: boolean;
  /** Filter when downscaling (linear and cubic only; not with `alignCorners`); default false. */
  antialias?: boolean;
}

/** An index array and its weight (shape `[..., 1]`) for one tap of one axis. */
type Tap = [MxArray, MxArray];

/** `values` reshaped to lie along axis `dim` of `ndims` axes. */
function along(values: MxArray, dim: number, ndims: number): MxArray {
  const shape = new Array<number>(ndims).fill(1);
  shape[dim] = -1;
  return reshape(values, shape);
}

function scaledIndices(n: number, scale: number, alignCorners: boolean, dim: number, ndims: number): MxArray {
  const m = Math.trunc(scale * n);
  const range = arange(0, m, { dtype: float32 });
  let indices: MxArray;
  if (alignCorners) {
    indices = multiply(range, (n - 1) / Math.max(m - 1, 1));
  } else {
    const step = 1 / scale;
    const start = ((m - 1) * step - n + 1) / 2;
    using stepped = multiply(range, step);
    indices = subtract(stepped, start);
  }
  return along(indices, dim, ndims);
}

function nearestIndices(n: number, scale: number, dim: number, ndims: number): MxArray {
  const m = Math.trunc(scale * n);
  let indices = arange(0, m, { dtype: float32 });
  if (m > n) {
    indices = round(subtract(multiply(add(indices, 0.5), n / m), 0.5));
  } else {
    indices = multiply(indices, n / m);
  }
  return along(astype(indices, uint32), dim, ndims);
}

function linearIndices(n: number, scale: number, alignCorners: boolean, dim: number, ndims: number): Tap[] {
  const indices = clip(scaledIndices(n, scale, alignCorners, dim, ndims), 0, n - 1);
  const left = floor(indices);
  const right = ceil(indices);
  const weight = expandDims(subtract(indices, left), -1);
  return [
    [astype(left, uint32), subtract(1, weight)],
    [astype(right, uint32), weight],
  ];
}

function cubicIndices(n: number, scale: number, alignCorners: boolean, dim: number, ndims: number): Tap[] {
  const indices = scaledIndices(n, scale, alignCorners, dim, ndims);
  const l1 = floor(indices);
  const r1 = floor(add(indices, 1));
  const l2 = subtract(l1, 1);
  const r2 = add(r1, 1);
  const a = -0.75;
  const weight = (grid: MxArray, near: boolean): MxArray => {
    const x = abs(subtract(indices, grid));
    const w = near
      ? add(multiply(multiply(subtract(multiply(a + 2, x), a + 3), x), x), 1)
      : multiply(subtract(multiply(add(multiply(subtract(x, 5), x), 8), x), 4), a);
    return expandDims(w, -1);
  };
  const tap = (
    grid: MxArray,
    near: boolean,
  ): Tap => [astype(clip(grid, 0, n - 1), uint32), weight(grid, near)];
  return [tap(l1, true), tap(r1, true), tap(l2, false), tap(r2, false)];
}

function triangleKernel(x: MxArray): MxArray {
  return maximum(subtract(1, x), 0);
}

function cubicKernel(x: MxArray): MxArray {
  const a = -0.5;
  const inner = add(multiply(multiply(subtract(multiply(a + 2, x), a + 3), x), x), 1);
  const outer = multiply(subtract(multiply(add(multiply(subtract(x, 5), x), 8), x), 4), a);
  return where(lessEqual(x, 1), inner, where(lessEqual(x, 2), outer, 0));
}

function antialiasIndices(
  kernel: (x: MxArray) => MxArray,
  radius: number,
): (n: number, scale: number, alignCorners: boolean, dim: number, ndims: number) => Tap[] {
  return (n, scale, alignCorners, dim, ndims) => {
    const indices = scaledIndices(n, scale, alignCorners, dim, ndims);
    const invScale = scale < 1 ? 1 / scale : 1;
    const taps = Math.ceil(radius * invScale) + 1;
    const positions: MxArray[] = [];
    const weights: MxArray[] = [];
    const base = floor(indices);
    for (let k = -taps + 1; k < taps; k++) {
      const idx = add(base, k);
      const w = kernel(divide(abs(subtract(indices, idx)), invScale));
      weights.push(where(logicalAnd(greaterEqual(idx, 0), less(idx, n)), w, 0));
      positions.push(idx);
    }
    let total = weights[0]!;
    for (const w of weights.slice(1)) total = add(total, w);
    total = where(greater(total, 0), total, 1);
    return positions.map((idx, i) => [
      astype(clip(idx, 0, n - 1), uint32),
      expandDims(divide(weights[i]!, total), -1),
    ]);
  };
}

type IndicesFn = (n: number, scale: number, alignCorners: boolean, dim: number, ndims: number) => Tap[];

/** Every combination of one tap per axis: sample x there, weight it, add up. */
function interpolate(x: MxArray, scale: number[], indicesFn: IndicesFn, alignCorners: boolean): MxArray {
  const dims = x.ndim - 2;
  const perAxis = x.shape.slice(1, -1).map((n, i) => indicesFn(n, scale[i]!, alignCorners, i, dims));
  let combos: Tap[][] = [[]];
  for (const taps of perAxis) combos = combos.flatMap((c) => taps.map((t) => [...c, t]));
  let out: MxArray | undefined;
  for (const combo of combos) {
    const sample = index(x, ":", ...combo.map(([idx]) => idx));
    const weight = combo.map(([, w]) => w).reduce((p, w) => multiply(p, w));
    const term = multiply(weight, sample);
    out = out === undefined ? term : add(out, term);
  }
  return out!;
}

/** One axis at a time: `take` along it for each tap, weighted, summed. */
function interpolateSeparable(
  x: MxArray,
  scale: number[],
  indicesFn: IndicesFn,
  alignCorners: boolean,
): MxArray {
  const dims = x.ndim - 2;
  let out = x;
  x.shape.slice(1, -1).forEach((n, i) => {
    let sum: MxArray | undefined;
    for (const [idx, weight] of indicesFn(n, scale[i]!, alignCorners, i, dims)) {
      const sample = multiply(take(out, reshape(idx, [-1]), { axis: i + 1 }), weight);
      sum = sum === undefined ? sample : add(sum, sample);
    }
    out = sum!;
  });
  return out;
}

function upsampleNearest(x: MxArray, scale: number[]): MxArray {
  const dims = x.ndim - 2;
  if (scale.every((s) => Number.isInteger(s))) {
    const shape = [...x.shape];
    for (let d = 0; d < dims; d++) shape.splice(2 + 2 * d, 0, 1);
    const expanded = reshape(x, shape);
    for (let d = 0; d < dims; d++) shape[2 + 2 * d] = scale[d]!;
    const broadcast = broadcastTo(expanded, shape);
    for (let d = 0; d < dims; d++) {
      shape[d + 1]! *= shape[d + 2]!;
      shape.splice(d + 2, 1);
    }
    return reshape(broadcast, shape);
  }
  const items = x.shape.slice(1, -1).map((n, i) => nearestIndices(n, scale[i]!, i, dims));
  return index(x, ":", ...items);
}

/**
 * Upsamples the spatial axes of `[N, ...spatial, C]` inputs by `scaleFactor` (one number,
 * or one per spatial axis).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.reshape(mx.array([1, 2]), [1, 2, 1]);
 * console.log(new mx.nn.Upsample(2).forward(x).tolist()); // [[[1], [1], [2], [2]]]
 * const lin = new mx.nn.Upsample(2, { mode: "linear", alignCorners: true });
 * console.log(lin.forward(mx.reshape(mx.array([0, 3]), [1, 2, 1])).tolist()); // [[[0], [1], [2], [3]]]
 * ```
 */
export class Upsample extends Module {
  readonly #scale: number | readonly number[];
  readonly #mode: UpsampleMode;
  readonly #alignCorners: boolean;
  readonly #antialias: boolean;

  constructor(scaleFactor: number | readonly number[], options: UpsampleOptions = {}) {
    super();
    const mode = options.mode ?? "nearest";
    if (mode !== "nearest" && mode !== "linear" && mode !== "cubic") {
      throw new MxError("invalid_argument", `[Upsample] unsupported upsampling algorithm: ${String(mode)}`);
    }
    const factors = typeof scaleFactor === "number" ? [scaleFactor] : scaleFactor;
    if (factors.length === 0 || factors.some((s) => !(s > 0) || !Number.isFinite(s))) {
      throw new MxError(
        "invalid_argument",
        `[Upsample] scale factors must be positive; got ${JSON.stringify(scaleFactor)}`,
      );
    }
    const antialias = options.antialias ?? false;
    const alignCorners = options.alignCorners ?? false;
    if (antialias && mode === "nearest") {
      throw new MxError(
        "invalid_argument",
        "[Upsample] antialiasing is not supported for nearest neighbor upsampling",
      );
    }
    if (antialias && alignCorners) {
      throw new MxError("invalid_argument", "[Upsample] antialias with alignCorners is not supported");
    }
    this.#scale = typeof scaleFactor === "number" ? scaleFactor : [...scaleFactor];
    this.#mode = mode;
    this.#alignCorners = alignCorners;
    this.#antialias = antialias;
  }

  protected override extraRepr(): string {
    const scale = typeof this.#scale === "number" ? String(this.#scale) : `(${this.#scale.join(", ")})`;
    return `scale_factor=${scale}, mode='${this.#mode}', align_corners=${this.#alignCorners}` +
      (this.#antialias ? ", antialias=true" : "");
  }

  /** `x` (`[N, ...spatial, C]`, at least one spatial axis) upsampled. */
  forward(x: MxArray): MxArray {
    const dims = x.ndim - 2;
    if (dims <= 0) {
      throw new MxError(
        "invalid_argument",
        `[Upsample] the input needs at least one spatial axis ([N, ..., C], 3-D or more); got shape [${x.shape}]`,
      );
    }
    let scale: number[];
    if (typeof this.#scale === "number") {
      scale = new Array<number>(dims).fill(this.#scale);
    } else {
      if (this.#scale.length !== dims) {
        throw new MxError(
          "invalid_argument",
          `[Upsample] one scale per spatial axis is required: ${this.#scale.length} scales for ${dims} spatial axes (shape [${x.shape}])`,
        );
      }
      scale = [...this.#scale];
    }
    // The index and weight arrays are temporaries: freed when the result is made.
    return tidy(() => {
      if (this.#mode === "nearest") return upsampleNearest(x, scale);
      if (this.#antialias) {
        const fn = this.#mode === "linear"
          ? antialiasIndices(triangleKernel, 1)
          : antialiasIndices(cubicKernel, 2);
        return interpolateSeparable(x, scale, fn, this.#alignCorners);
      }
      // MLX 0.32.4: linear without alignCorners goes one axis at a time; the rest samples
      // every combination of taps at once.
      if (this.#mode === "linear" && !this.#alignCorners) {
        return interpolateSeparable(x, scale, linearIndices, false);
      }
      return interpolate(
        x,
        scale,
        this.#mode === "linear" ? linearIndices : cubicIndices,
        this.#alignCorners,
      );
    });
  }
}
