/**
 * Recurrent layers: RNN, GRU and LSTM (MLX's `nn.layers.recurrent`). Inputs are `[N, L, D]`
 * (batched) or `[L, D]`; the layers return the hidden state of every step, `[N, L, H]` or
 * `[L, H]`.
 *
 * @module
 */

import type { MxArray } from "../../array.ts";
import { MxError } from "../../errors.ts";
import { add, multiply, sigmoid, subtract, tanh } from "../../elementwise.ts";
import { index } from "../../indexing.ts";
import { split, stack } from "../../joining.ts";
import { addmm, matmul } from "../../linalg_basic.ts";
import { uniform } from "../../random.ts";
import { tidy } from "../../scope.ts";
import { transpose } from "../../shapes.ts";
import { Module } from "../module.ts";
import { checkDims } from "./linear.ts";

/** Options of `RNN`. */
export interface RnnOptions {
  /** Whether to use a bias (default true). */
  bias?: boolean;
  /** The non-linearity applied to each new hidden state (default `mx.tanh`). */
  nonlinearity?: (x: MxArray) => MxArray;
}

/** Options of `GRU` and `LSTM`. */
export interface RecurrentOptions {
  /** Whether to use biases (default true). */
  bias?: boolean;
}

function draw(scale: number, shape: number[]): MxArray {
  return uniform({ low: -scale, high: scale, shape });
}

/** Checks `x` (`[N, L, D]` or `[L, D]`) and an initial state (`[N, H]` or `[H]`). */
function checkInputs(
  layer: string,
  x: MxArray,
  inputSize: number,
  hiddenSize: number,
  states: Record<string, MxArray | undefined>,
): void {
  if (x.ndim !== 2 && x.ndim !== 3) {
    throw new MxError(
      "invalid_argument",
      `[${layer}] the input must be [N, L, D] or [L, D]; got shape [${x.shape}]`,
    );
  }
  if (x.shape[x.ndim - 1] !== inputSize) {
    throw new MxError(
      "shape_mismatch",
      `[${layer}] the input's last axis must be input_size ${inputSize}; got shape [${x.shape}]`,
    );
  }
  if (x.shape[x.ndim - 2] === 0) {
    throw new MxError("invalid_argument", `[${layer}] the sequence is empty (input shape [${x.shape}])`);
  }
  const expected = x.ndim === 3 ? [x.shape[0]!, hiddenSize] : [hiddenSize];
  for (const [name, state] of Object.entries(states)) {
    if (state !== undefined && state.shape.join(",") !== expected.join(",")) {
      throw new MxError(
        "shape_mismatch",
        `[${layer}] the ${name} state must have shape [${expected}] for an input of shape [${x.shape}]; got [${state.shape}]`,
      );
    }
  }
}

/** `x @ w.T (+ bias)` over the last axis. */
function project(x: MxArray, w: MxArray, bias: MxArray | undefined): MxArray {
  using wt = transpose(w);
  return bias !== undefined ? addmm(bias, x, wt) : matmul(x, wt);
}

/** Step `t` of a projected sequence: `x[..., t, :]`. */
function step(x: MxArray, t: number): MxArray {
  return index(x, "...", t, ":");
}

/**
 * An Elman recurrent layer: `h_{t+1} = nonlinearity(W_xh x_t + W_hh h_t + b)`. The weights
 * `Wxh` `[H, D]`, `Whh` `[H, H]` and `bias` `[H]` are drawn from U(-k, k), k = 1/sqrt(H).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const rnn = new mx.nn.RNN(3, 4);
 * console.log(rnn.forward(mx.ones([2, 5, 3])).shape); // [ 2, 5, 4 ]
 * ```
 */
export class RNN extends Module {
  Wxh: MxArray;
  Whh: MxArray;
  bias?: MxArray;
  readonly hiddenSize: number;
  readonly nonlinearity: (x: MxArray) => MxArray;

  constructor(inputSize: number, hiddenSize: number, options: RnnOptions = {}) {
    super();
    checkDims("RNN", { inputSize, hiddenSize });
    if (options.nonlinearity !== undefined && typeof options.nonlinearity !== "function") {
      throw new MxError(
        "invalid_argument",
        `[RNN] nonlinearity must be a function; got ${typeof options.nonlinearity}`,
      );
    }
    this.nonlinearity = options.nonlinearity ?? tanh;
    this.hiddenSize = hiddenSize;
    const scale = 1 / Math.sqrt(hiddenSize);
    this.Wxh = draw(scale, [hiddenSize, inputSize]);
    this.Whh = draw(scale, [hiddenSize, hiddenSize]);
    if (options.bias ?? true) this.bias = draw(scale, [hiddenSize]);
  }

  protected override extraRepr(): string {
    const nonlinearity = this.nonlinearity.name || "<function>";
    return `input_dims=${
      this.Wxh.shape[1]
    }, hidden_size=${this.hiddenSize}, nonlinearity=${nonlinearity}, bias=${this.bias !== undefined}`;
  }

  /**
   * The hidden states of every step, from `hidden` (`[N, H]` or `[H]`; default zeros).
   */
  forward(x: MxArray, hidden?: MxArray): MxArray {
    checkInputs("RNN", x, this.Wxh.shape[1]!, this.hiddenSize, { hidden });
    return tidy(() => {
      const xs = project(x, this.Wxh, this.bias);
      const whhT = transpose(this.Whh);
      const all: MxArray[] = [];
      let h = hidden;
      for (let t = 0; t < x.shape[x.ndim - 2]!; t++) {
        const xt = step(xs, t);
        h = this.nonlinearity(h !== undefined ? addmm(xt, h, whhT) : xt);
        all.push(h);
      }
      return stack(all, { axis: -2 });
    });
  }
}

/**
 * A gated recurrent unit layer:
 * `r, z = sigmoid(W_x[r,z] x_t + W_h[r,z] h_t + b[r,z])`,
 * `n = tanh(W_xn x_t + b_n + r * (W_hn h_t + b_hn))`, `h_{t+1} = (1 - z) n + z h_t`.
 * `Wx` `[3H, D]`, `Wh` `[3H, H]`, `b` `[3H]` and `bhn` `[H]` are drawn from U(-k, k),
 * k = 1/sqrt(H).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const gru = new mx.nn.GRU(3, 4);
 * console.log(gru.forward(mx.ones([5, 3])).shape); // [ 5, 4 ]
 * ```
 */
export class GRU extends Module {
  Wx: MxArray;
  Wh: MxArray;
  b?: MxArray;
  bhn?: MxArray;
  readonly hiddenSize: number;

  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    super();
    checkDims("GRU", { inputSize, hiddenSize });
    this.hiddenSize = hiddenSize;
    const scale = 1 / Math.sqrt(hiddenSize);
    this.Wx = draw(scale, [3 * hiddenSize, inputSize]);
    this.Wh = draw(scale, [3 * hiddenSize, hiddenSize]);
    if (options.bias ?? true) {
      this.b = draw(scale, [3 * hiddenSize]);
      this.bhn = draw(scale, [hiddenSize]);
    }
  }

  protected override extraRepr(): string {
    return `input_dims=${this.Wx.shape[1]}, hidden_size=${this.hiddenSize}, bias=${this.b !== undefined}`;
  }

  /** The hidden states of every step, from `hidden` (`[N, H]` or `[H]`; default zeros). */
  forward(x: MxArray, hidden?: MxArray): MxArray {
    const size = this.hiddenSize;
    checkInputs("GRU", x, this.Wx.shape[1]!, size, { hidden });
    return tidy(() => {
      const xs = project(x, this.Wx, this.b);
      const [xRz, xN] = split(xs, [2 * size], { axis: -1 }) as [MxArray, MxArray];
      const whT = transpose(this.Wh);
      const all: MxArray[] = [];
      let h = hidden;
      for (let t = 0; t < x.shape[x.ndim - 2]!; t++) {
        let rz = step(xRz, t);
        let hN: MxArray | undefined;
        if (h !== undefined) {
          const [hRz, hn] = split(matmul(h, whT), [2 * size], { axis: -1 }) as [MxArray, MxArray];
          hN = this.bhn !== undefined ? add(hn, this.bhn) : hn;
          rz = add(rz, hRz);
        }
        const [r, z] = split(sigmoid(rz), 2, { axis: -1 }) as [MxArray, MxArray];
        let n = step(xN, t);
        if (hN !== undefined) n = add(n, multiply(r, hN));
        else if (this.bhn !== undefined) n = add(n, multiply(r, this.bhn));
        n = tanh(n);
        const kept = multiply(subtract(1, z), n);
        h = h !== undefined ? add(kept, multiply(z, h)) : kept;
        all.push(h);
      }
      return stack(all, { axis: -2 });
    });
  }
}

/**
 * A long short-term memory layer: gates `i, f, o = sigmoid(...)`, `g = tanh(...)` from
 * `W_x x_t + W_h h_t + b`, then `c_{t+1} = f c_t + i g` and `h_{t+1} = o tanh(c_{t+1})`.
 * `Wx` `[4H, D]`, `Wh` `[4H, H]` and `bias` `[4H]` are drawn from U(-k, k), k = 1/sqrt(H).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const lstm = new mx.nn.LSTM(3, 4);
 * const [hidden, cell] = lstm.forward(mx.ones([2, 5, 3]));
 * console.log(hidden.shape, cell.shape); // [ 2, 5, 4 ] [ 2, 5, 4 ]
 * ```
 */
export class LSTM extends Module {
  Wx: MxArray;
  Wh: MxArray;
  bias?: MxArray;
  readonly hiddenSize: number;

  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    super();
    checkDims("LSTM", { inputSize, hiddenSize });
    this.hiddenSize = hiddenSize;
    const scale = 1 / Math.sqrt(hiddenSize);
    this.Wx = draw(scale, [4 * hiddenSize, inputSize]);
    this.Wh = draw(scale, [4 * hiddenSize, hiddenSize]);
    if (options.bias ?? true) this.bias = draw(scale, [4 * hiddenSize]);
  }

  protected override extraRepr(): string {
    return `input_dims=${this.Wx.shape[1]}, hidden_size=${this.hiddenSize}, bias=${this.bias !== undefined}`;
  }

  /**
   * `[hidden states, cell states]` of every step, from `hidden` and `cell` (`[N, H]` or
   * `[H]`; default zeros).
   */
  forward(x: MxArray, hidden?: MxArray, cell?: MxArray): [MxArray, MxArray] {
    checkInputs("LSTM", x, this.Wx.shape[1]!, this.hiddenSize, { hidden, cell });
    return tidy(() => {
      const xs = project(x, this.Wx, this.bias);
      const whT = transpose(this.Wh);
      const allHidden: MxArray[] = [];
      const allCell: MxArray[] = [];
      let h = hidden;
      let c = cell;
      for (let t = 0; t < x.shape[x.ndim - 2]!; t++) {
        let ifgo = step(xs, t);
        if (h !== undefined) ifgo = addmm(ifgo, h, whT);
        const [i, f, g, o] = split(ifgo, 4, { axis: -1 }) as [MxArray, MxArray, MxArray, MxArray];
        const input = sigmoid(i);
        const forget = sigmoid(f);
        const candidate = tanh(g);
        const output = sigmoid(o);
        const fresh = multiply(input, candidate);
        c = c !== undefined ? add(multiply(forget, c), fresh) : fresh;
        h = multiply(output, tanh(c));
        allHidden.push(h);
        allCell.push(c);
      }
      return [stack(allHidden, { axis: -2 }), stack(allCell, { axis: -2 })];
    });
  }
}
