/**
 * Activation layers: modules wrapping the functions of `nn/activations.ts` (MLX's
 * `nn.ReLU`, `nn.GELU`, ...), so they can sit in a `Sequential`. Options are stored on the
 * layer as MLX stores them.
 *
 * @module
 */

import type { MxArray } from "../../array.ts";
import { MxError } from "../../errors.ts";
import { full } from "../../creation.ts";
import * as act from "../activations.ts";
import { Module } from "../module.ts";

/**
 * Applies `sigmoid` elementwise.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.Sigmoid().forward(mx.array([-1, 0, 2])).shape); // [ 3 ]
 * ```
 */
export class Sigmoid extends Module {
  /** The activation of `x`. */
  forward(x: MxArray): MxArray {
    return act.sigmoid(x);
  }
}

/**
 * Applies `tanh` elementwise.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.Tanh().forward(mx.array([-1, 0, 2])).shape); // [ 3 ]
 * ```
 */
export class Tanh extends Module {
  /** The activation of `x`. */
  forward(x: MxArray): MxArray {
    return act.tanh(x);
  }
}

/**
 * Applies `relu` (max(x, 0)) elementwise.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.ReLU().forward(mx.array([-1, 0, 2])).shape); // [ 3 ]
 * ```
 */
export class ReLU extends Module {
  /** The activation of `x`. */
  forward(x: MxArray): MxArray {
    return act.relu(x);
  }
}

/**
 * Applies `relu2` (relu(x)^2) elementwise.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.ReLU2().forward(mx.array([-1, 0, 2])).shape); // [ 3 ]
 * ```
 */
export class ReLU2 extends Module {
  /** The activation of `x`. */
  forward(x: MxArray): MxArray {
    return act.relu2(x);
  }
}

/**
 * Applies `relu6` (min(max(x, 0), 6)) elementwise.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.ReLU6().forward(mx.array([-1, 0, 2])).shape); // [ 3 ]
 * ```
 */
export class ReLU6 extends Module {
  /** The activation of `x`. */
  forward(x: MxArray): MxArray {
    return act.relu6(x);
  }
}

/**
 * Applies `selu` elementwise.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.SELU().forward(mx.array([-1, 0, 2])).shape); // [ 3 ]
 * ```
 */
export class SELU extends Module {
  /** The activation of `x`. */
  forward(x: MxArray): MxArray {
    return act.selu(x);
  }
}

/**
 * Applies `silu` (x * sigmoid(x)) elementwise.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.SiLU().forward(mx.array([-1, 0, 2])).shape); // [ 3 ]
 * ```
 */
export class SiLU extends Module {
  /** The activation of `x`. */
  forward(x: MxArray): MxArray {
    return act.silu(x);
  }
}

/**
 * Applies `softplus` elementwise.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.Softplus().forward(mx.array([-1, 0, 2])).shape); // [ 3 ]
 * ```
 */
export class Softplus extends Module {
  /** The activation of `x`. */
  forward(x: MxArray): MxArray {
    return act.softplus(x);
  }
}

/**
 * Applies `logSigmoid` elementwise.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.LogSigmoid().forward(mx.array([-1, 0, 2])).shape); // [ 3 ]
 * ```
 */
export class LogSigmoid extends Module {
  /** The activation of `x`. */
  forward(x: MxArray): MxArray {
    return act.logSigmoid(x);
  }
}

/**
 * Applies `softsign` elementwise.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.Softsign().forward(mx.array([-1, 0, 2])).shape); // [ 3 ]
 * ```
 */
export class Softsign extends Module {
  /** The activation of `x`. */
  forward(x: MxArray): MxArray {
    return act.softsign(x);
  }
}

/**
 * Applies `hardswish` elementwise.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.Hardswish().forward(mx.array([-1, 0, 2])).shape); // [ 3 ]
 * ```
 */
export class Hardswish extends Module {
  /** The activation of `x`. */
  forward(x: MxArray): MxArray {
    return act.hardswish(x);
  }
}

/**
 * Applies `mish` elementwise.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.Mish().forward(mx.array([-1, 0, 2])).shape); // [ 3 ]
 * ```
 */
export class Mish extends Module {
  /** The activation of `x`. */
  forward(x: MxArray): MxArray {
    return act.mish(x);
  }
}

/**
 * Softmax over `axis` (default -1).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.Softmax().forward(mx.array([[1, 2, 3, 4]])).shape); // [ 1, 4 ]
 * ```
 */
export class Softmax extends Module {
  readonly axis: number;

  constructor(options: { axis?: number } = {}) {
    super();
    this.axis = options.axis ?? -1;
  }

  /** The activation of `x` along `axis`. */
  forward(x: MxArray): MxArray {
    return act.softmax(x, { axis: this.axis });
  }
}

/**
 * Log-softmax over `axis` (default -1).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.LogSoftmax().forward(mx.array([[1, 2, 3, 4]])).shape); // [ 1, 4 ]
 * ```
 */
export class LogSoftmax extends Module {
  readonly axis: number;

  constructor(options: { axis?: number } = {}) {
    super();
    this.axis = options.axis ?? -1;
  }

  /** The activation of `x` along `axis`. */
  forward(x: MxArray): MxArray {
    return act.logSoftmax(x, { axis: this.axis });
  }
}

/**
 * Softmin over `axis` (default -1).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.Softmin().forward(mx.array([[1, 2, 3, 4]])).shape); // [ 1, 4 ]
 * ```
 */
export class Softmin extends Module {
  readonly axis: number;

  constructor(options: { axis?: number } = {}) {
    super();
    this.axis = options.axis ?? -1;
  }

  /** The activation of `x` along `axis`. */
  forward(x: MxArray): MxArray {
    return act.softmin(x, { axis: this.axis });
  }
}

/**
 * Gated linear unit: splits `axis` (default -1) in halves a, b and gives a * sigmoid(b).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.GLU().forward(mx.array([[1, 2, 3, 4]])).shape); // [ 1, 2 ]
 * ```
 */
export class GLU extends Module {
  readonly axis: number;

  constructor(options: { axis?: number } = {}) {
    super();
    this.axis = options.axis ?? -1;
  }

  /** The activation of `x` along `axis`. */
  forward(x: MxArray): MxArray {
    return act.glu(x, { axis: this.axis });
  }
}

/**
 * max(x, negativeSlope * x) (default slope 0.01).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.LeakyReLU().forward(mx.array([-1, 0, 2])).shape); // [ 3 ]
 * ```
 */
export class LeakyReLU extends Module {
  readonly negativeSlope: number;

  constructor(options: { negativeSlope?: number } = {}) {
    super();
    this.negativeSlope = options.negativeSlope ?? 0.01;
  }

  /** The activation of `x`. */
  forward(x: MxArray): MxArray {
    return act.leakyRelu(x, { negativeSlope: this.negativeSlope });
  }
}

/**
 * Exponential linear unit (default alpha 1).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.ELU().forward(mx.array([-1, 0, 2])).shape); // [ 3 ]
 * ```
 */
export class ELU extends Module {
  readonly alpha: number;

  constructor(options: { alpha?: number } = {}) {
    super();
    this.alpha = options.alpha ?? 1.0;
  }

  /** The activation of `x`. */
  forward(x: MxArray): MxArray {
    return act.elu(x, { alpha: this.alpha });
  }
}

/**
 * Continuously differentiable ELU (default alpha 1).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.CELU().forward(mx.array([-1, 0, 2])).shape); // [ 3 ]
 * ```
 */
export class CELU extends Module {
  readonly alpha: number;

  constructor(options: { alpha?: number } = {}) {
    super();
    this.alpha = options.alpha ?? 1.0;
  }

  /** The activation of `x`. */
  forward(x: MxArray): MxArray {
    return act.celu(x, { alpha: this.alpha });
  }
}

/**
 * Soft shrinkage (default lambd 0.5).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.Softshrink().forward(mx.array([-1, 0, 2])).shape); // [ 3 ]
 * ```
 */
export class Softshrink extends Module {
  readonly lambd: number;

  constructor(options: { lambd?: number } = {}) {
    super();
    this.lambd = options.lambd ?? 0.5;
  }

  /** The activation of `x`. */
  forward(x: MxArray): MxArray {
    return act.softshrink(x, { lambd: this.lambd });
  }
}

/**
 * Hard shrinkage (default lambd 0.5).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.HardShrink().forward(mx.array([-1, 0, 2])).shape); // [ 3 ]
 * ```
 */
export class HardShrink extends Module {
  readonly lambd: number;

  constructor(options: { lambd?: number } = {}) {
    super();
    this.lambd = options.lambd ?? 0.5;
  }

  /** The activation of `x`. */
  forward(x: MxArray): MxArray {
    return act.hardShrink(x, { lambd: this.lambd });
  }
}

/**
 * 1 where x > threshold, else 0 (default threshold 0).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.Step().forward(mx.array([-1, 0, 2])).shape); // [ 3 ]
 * ```
 */
export class Step extends Module {
  readonly threshold: number;

  constructor(options: { threshold?: number } = {}) {
    super();
    this.threshold = options.threshold ?? 0.0;
  }

  /** The activation of `x`. */
  forward(x: MxArray): MxArray {
    return act.step(x, { threshold: this.threshold });
  }
}

/**
 * Clips to [minVal, maxVal] (default [-1, 1]).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.HardTanh().forward(mx.array([-3, 0.5, 2])).tolist()); // [-1, 0.5, 1]
 * ```
 */
export class HardTanh extends Module {
  readonly minVal: number;
  readonly maxVal: number;

  constructor(options: { minVal?: number; maxVal?: number } = {}) {
    super();
    this.minVal = options.minVal ?? -1;
    this.maxVal = options.maxVal ?? 1;
  }

  /** The activation of `x`. */
  forward(x: MxArray): MxArray {
    return act.hardTanh(x, { minVal: this.minVal, maxVal: this.maxVal });
  }
}

/** Which GELU `GELU` computes: exact (`"none"`), tanh approximation (`"precise"` or
 * `"tanh"`), or the sigmoid approximation (`"fast"`). */
export type GeluApproximation = "none" | "precise" | "tanh" | "fast";

/**
 * Gaussian error linear unit, exact or approximated (`approx`, as MLX's `nn.GELU`).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.GELU({ approx: "fast" }).forward(mx.array([0, 1])).shape); // [ 2 ]
 * ```
 */
export class GELU extends Module {
  readonly approx: GeluApproximation;

  constructor(options: { approx?: GeluApproximation } = {}) {
    super();
    const approx = options.approx ?? "none";
    if (!["none", "precise", "tanh", "fast"].includes(approx)) {
      throw new MxError(
        "invalid_argument",
        `[GELU] approx must be "none", "precise", "tanh" or "fast"; got ${JSON.stringify(approx)}`,
      );
    }
    this.approx = approx;
  }

  /** The activation of `x`. */
  forward(x: MxArray): MxArray {
    if (this.approx === "none") return act.gelu(x);
    return this.approx === "fast" ? act.geluFastApprox(x) : act.geluApprox(x);
  }
}

/**
 * Parametric ReLU: max(x, 0) + weight * min(x, 0), `weight` learned (`numParameters`
 * values, initialised to `init`, default 1 and 0.25).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(new mx.nn.PReLU().forward(mx.array([-4, 2])).tolist()); // [-1, 2]
 * ```
 */
export class PReLU extends Module {
  weight: MxArray;

  constructor(options: { numParameters?: number; init?: number } = {}) {
    super();
    const count = options.numParameters ?? 1;
    if (!Number.isInteger(count) || count <= 0) {
      throw new MxError("invalid_argument", `[PReLU] numParameters must be a positive integer; got ${count}`);
    }
    this.weight = full([count], options.init ?? 0.25);
  }

  /** The activation of `x` (the weight broadcasts along the last axis). */
  forward(x: MxArray): MxArray {
    return act.prelu(x, this.weight);
  }
}
