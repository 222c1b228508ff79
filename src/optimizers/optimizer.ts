/**
 * The `Optimizer` base class (MLX's `mlx.optimizers.Optimizer`) and `MultiOptimizer`.
 *
 * Ownership: the arrays in `state` belong to the optimizer. An update keeps the new ones
 * alive past any enclosing `mx.tidy` and disposes the ones it replaced; `update(model, ...)`
 * also disposes the model's parameters it replaced. Updates are lazy: one
 * `mx.eval(model.parameters(), optimizer.state)` computes a step.
 *
 * @module
 */

import { array, MxArray } from "../array.ts";
import { float32, uint64 } from "../dtype.ts";
import { add } from "../elementwise.ts";
import { MxError } from "../errors.ts";
import { keep, tidy } from "../scope.ts";
import { treeFlatten, treeMap, treeMapWithPath, treeMerge, treeUnflatten } from "../utils.ts";
import type { Module } from "../nn/module.ts";

/** A schedule: the value of a hyperparameter as a function of the step (a uint64 scalar). */
export type Schedule = (step: MxArray) => MxArray | number;

/** A learning rate: a number, or a schedule called with the step before each update. */
export type LearningRate = number | Schedule;

/** The state of one parameter (moments and the like), by MLX's names (`m`, `v`, ...). */
export type ParameterState = Record<string, MxArray>;

/** The state of an optimizer as a flat record of arrays, as `stateDict` gives it. */
export type StateDict = Record<string, MxArray>;

/** @internal True for `{}`-like objects and JS arrays (the containers of trees). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Every MxArray leaf of a tree. */
function arraysOf(tree: unknown): Set<MxArray> {
  const out = new Set<MxArray>();
  for (const [, leaf] of treeFlatten(tree)) if (leaf instanceof MxArray) out.add(leaf);
  return out;
}

/** Disposes the arrays of `old` that are not in `current`. */
function disposeReplaced(old: Iterable<MxArray>, current: Set<MxArray>): void {
  for (const a of old) if (!current.has(a)) a.dispose();
}

/** @internal Checks an optimizer hyperparameter is a finite number in a range. */
export function checkNumber(
  op: string,
  name: string,
  value: unknown,
  test: (v: number) => boolean = () => true,
  expected = "a finite number",
): number {
  if (typeof value !== "number" || !Number.isFinite(value) || !test(value)) {
    throw new MxError("invalid_argument", `[${op}] ${name} should be ${expected}; got ${String(value)}`);
  }
  return value;
}

/** @internal Checks a pair of betas, each in [0, 1). */
export function checkBetas(op: string, betas: unknown): [number, number] {
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new MxError(
      "invalid_argument",
      `[${op}] betas should be a list of two numbers; got ${String(betas)}`,
    );
  }
  betas.forEach((b, i) => checkNumber(op, `beta${i + 1}`, b, (v) => v >= 0 && v < 1, "in [0, 1)"));
  return [betas[0], betas[1]];
}

/**
 * The base class of the optimizers: keeps a state tree (`step`, `learning_rate`, and per
 * parameter the arrays `initSingle` makes) and applies `applySingle` to every parameter.
 * Subclasses define `initSingle` and `applySingle`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * class SignDescent extends mx.optimizers.Optimizer {
 *   constructor(learningRate: number) {
 *     super();
 *     this.maybeSchedule("learning_rate", learningRate);
 *   }
 *   override initSingle(): void {}
 *   override applySingle(gradient: mx.MxArray, parameter: mx.MxArray): mx.MxArray {
 *     return mx.subtract(parameter, mx.multiply(this.learningRate, mx.sign(gradient)));
 *   }
 * }
 * const opt = new SignDescent(0.5);
 * const { w } = opt.applyGradients({ w: mx.array([-2, 3]) }, { w: mx.array([1, 1]) }) as { w: mx.MxArray };
 * console.log(w.tolist(), opt.step.item()); // [1.5, 0.5] 1
 * ```
 */
export class Optimizer {
  #initialized = false;
  #state: Record<string, unknown>;
  readonly #schedulers = new Map<string, Schedule>();

  constructor(schedulers: Record<string, Schedule> = {}) {
    this.#state = { step: keep(array(0, uint64)) };
    for (const [name, fn] of Object.entries(schedulers)) this.#schedulers.set(name, fn);
  }

  /** The optimizer's name in error messages. */
  protected get opName(): string {
    return this.constructor.name;
  }

  /**
   * Applies `gradients` to the model's parameters and stores the new parameters in the
   * model (`model.update`); the parameters replaced are disposed.
   *
   * @param model The model to update.
   * @param gradients A tree like `model.trainableParameters()`, e.g. from `nn.valueAndGrad`.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const model = new mx.nn.Linear(1, 1);
   * model.update({ weight: mx.array([[1]]), bias: mx.array([0]) });
   * new mx.optimizers.SGD(0.1).update(model, { weight: mx.array([[2]]), bias: mx.array([1]) });
   * console.log(model.weight.tolist(), model.bias!.tolist()); // [[0.8]] [-0.1]
   * ```
   */
  update(model: Module, gradients: Record<string, unknown>): void {
    const old = arraysOf(model.parameters());
    const updated = this.applyGradients(gradients, model.parameters());
    model.update(updated as Record<string, unknown>);
    disposeReplaced(old, arraysOf(model.parameters()));
  }

  /**
   * Makes the state of every parameter of `parameters` that has none yet (optional: the
   * first update does it). Existing state is kept.
   *
   * @param parameters A tree of parameters.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const opt = new mx.optimizers.SGD(0.1, { momentum: 0.9 });
   * opt.init(new mx.nn.Linear(2, 2).trainableParameters());
   * console.log(Object.keys(opt.state)); // [ "step", "learning_rate", "weight", "bias" ]
   * ```
   */
  init(parameters: unknown): void {
    this.#state = mergeStructure(this.opName, parameters, this.#state, "") as Record<string, unknown>;
    treeMap(
      (parameter, state) => {
        if (!(parameter instanceof MxArray)) return;
        const slot = state as ParameterState;
        if (Object.keys(slot).length > 0) return;
        this.initSingle(parameter, slot);
        for (const value of Object.values(slot)) keep(value);
      },
      parameters,
      [this.#state],
    );
    this.#initialized = true;
  }

  /**
   * Makes the state of one parameter (sets its entries in `state`). For subclasses.
   *
   * @param _parameter The parameter.
   * @param _state Its (empty) state, to fill.
   */
  initSingle(_parameter: MxArray, _state: ParameterState): void {
    throw new MxError("unsupported", `[${this.opName}] initSingle is not implemented`);
  }

  /**
   * Applies `gradients` to `parameters` and returns the new parameters, a tree shaped like
   * `gradients` (`parameters` may have more). Updates the schedules, the step and the state.
   *
   * @param gradients A tree of gradients.
   * @param parameters A tree with the same structure (or a superset).
   * @returns The updated parameters (lazy arrays).
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const opt = new mx.optimizers.Adam(0.1);
   * const next = opt.applyGradients({ w: mx.array([1, -1]) }, { w: mx.array([0, 0]) }) as { w: mx.MxArray };
   * console.log(next.w.tolist(), opt.step.item()); // [-0.31622764468193054, 0.31622764468193054] 1
   * ```
   */
  applyGradients(gradients: unknown, parameters: unknown): unknown {
    if (!this.#initialized) this.init(gradients);
    const replaced: MxArray[] = [];
    const state = this.#state;
    const set = (slot: Record<string, unknown>, key: string, value: MxArray) => {
      const old = slot[key];
      if (old instanceof MxArray && old !== value) replaced.push(old);
      slot[key] = keep(value);
    };
    for (const [name, schedule] of this.#schedulers) set(state, name, scheduleValue(schedule, this.step));
    set(state, "step", add(this.step, 1));
    const updated = tidy(() =>
      treeMapWithPath(
        (path, gradient, parameter, slot) => {
          if (!(gradient instanceof MxArray)) return gradient;
          if (!(parameter instanceof MxArray)) {
            throw new MxError(
              "invalid_argument",
              `[${this.opName}] the gradient "${path}" has no parameter array`,
            );
          }
          if (!isPlainObject(slot)) {
            throw new MxError(
              "invalid_argument",
              `[${this.opName}] the parameter "${path}" has no state (init it first)`,
            );
          }
          const own = slot as ParameterState;
          const before = { ...own };
          const next = this.applySingle(gradient, parameter, own);
          for (const [key, value] of Object.entries(own)) {
            if (value !== before[key]) {
              own[key] = before[key]!;
              set(own, key, value);
            }
          }
          return next;
        },
        gradients,
        [parameters, state],
      )
    );
    for (const a of arraysOf(updated)) keep(a);
    disposeReplaced(replaced, arraysOf(state));
    return updated;
  }

  /**
   * Computes one parameter's update: returns the new parameter and stores the new state
   * arrays in `state`. For subclasses.
   *
   * @param _gradient The gradient.
   * @param _parameter The parameter.
   * @param _state The parameter's state.
   */
  applySingle(_gradient: MxArray, _parameter: MxArray, _state: ParameterState): MxArray {
    throw new MxError("unsupported", `[${this.opName}] applySingle is not implemented`);
  }

  /**
   * The state tree: `step`, scheduled values such as `learning_rate`, and each parameter's
   * state under its path (MLX's key names, so saved states interoperate). Setting it
   * replaces the state; parameters missing from it are initialised at the next update.
   */
  get state(): Record<string, unknown> {
    return this.#state;
  }

  set state(state: Record<string, unknown>) {
    if (!isPlainObject(state) || !(state.step instanceof MxArray)) {
      throw new MxError(
        "invalid_argument",
        `[${this.opName}] the state must be an object with a "step" array`,
      );
    }
    for (const [path, leaf] of treeFlatten(state)) {
      if (!(leaf instanceof MxArray)) {
        throw new MxError("invalid_argument", `[${this.opName}] state entry "${path}" is not an MxArray`);
      }
      keep(leaf);
    }
    this.#state = state;
    this.#initialized = false;
  }

  /** The number of updates so far (a uint64 scalar). */
  get step(): MxArray {
    return this.#state.step as MxArray;
  }

  /** The learning rate (a float32 scalar), as the last update used it. */
  get learningRate(): MxArray {
    const lr = this.#state.learning_rate;
    if (!(lr instanceof MxArray)) {
      throw new MxError("invalid_argument", `[${this.opName}] the state has no learning_rate`);
    }
    return lr;
  }

  set learningRate(value: number | MxArray) {
    const old = this.#state.learning_rate;
    const next = value instanceof MxArray
      ? value
      : array(checkNumber(this.opName, "learningRate", value), float32);
    this.#state.learning_rate = keep(next);
    if (old instanceof MxArray && old !== next) old.dispose();
  }

  /**
   * The state as a flat record (`"step"`, `"learning_rate"`, `"layers.0.weight.m"`, ...),
   * for `mx.saveSafetensors`; the arrays are the optimizer's own (copy them to keep them
   * past the next update).
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const opt = new mx.optimizers.Adam(0.01);
   * opt.init({ w: mx.zeros([2]) });
   * console.log(Object.keys(opt.stateDict())); // [ "step", "learning_rate", "w.m", "w.v" ]
   * ```
   */
  stateDict(): StateDict {
    return Object.fromEntries(treeFlatten(this.state)) as StateDict;
  }

  /**
   * Replaces the state with one from `stateDict` (e.g. read back with `mx.load`); the
   * optimizer takes ownership of the arrays.
   *
   * @param dict A flat record of arrays with dotted keys.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const a = new mx.optimizers.SGD(0.1, { momentum: 0.9 });
   * a.applyGradients({ w: mx.array([1]) }, { w: mx.array([0]) });
   * const b = new mx.optimizers.SGD(0.1, { momentum: 0.9 });
   * b.loadStateDict(a.stateDict());
   * console.log(b.step.item(), b.stateDict()["w.v"]!.tolist()); // 1 [1]
   * ```
   */
  loadStateDict(dict: StateDict): void {
    if (!isPlainObject(dict)) {
      throw new MxError("invalid_argument", `[${this.opName}] loadStateDict expects a record of arrays`);
    }
    for (const [key, value] of Object.entries(dict)) {
      if (!(value instanceof MxArray)) {
        throw new MxError("invalid_argument", `[${this.opName}] state entry "${key}" is not an MxArray`);
      }
    }
    this.state = treeUnflatten(Object.entries(dict)) as Record<string, unknown>;
  }

  /**
   * Stores `value` in the state under `name`: a number as a float32 scalar, a schedule as
   * its value at the current step (and again before every update). For subclasses.
   *
   * @param name The state key (MLX's: `"learning_rate"`).
   * @param value A number or a schedule.
   */
  protected maybeSchedule(name: string, value: LearningRate): void {
    if (typeof value === "function") {
      this.#schedulers.set(name, value);
      this.#state[name] = keep(scheduleValue(value, this.step));
    } else {
      this.#state[name] = keep(
        array(checkNumber(this.opName, name.replace("learning_rate", "learningRate"), value), float32),
      );
    }
  }
}

/** A schedule's value as an array (a number becomes a float32 scalar). */
function scheduleValue(schedule: Schedule, step: MxArray): MxArray {
  const value = schedule(step);
  if (value instanceof MxArray) return value;
  if (typeof value === "number") return array(value, float32);
  throw new MxError(
    "invalid_argument",
    `[schedule] a schedule must return an MxArray or a number; got ${typeof value}`,
  );
}

/**
 * Extends `state` with empty objects where `parameters` has entries it lacks (MLX's
 * `update_state`), keeping what is there.
 */
function mergeStructure(op: string, parameters: unknown, state: unknown, path: string): unknown {
  const empty = (tree: unknown) => treeMap(() => ({}), tree);
  if (Array.isArray(parameters)) {
    if (!Array.isArray(state)) {
      throw new MxError("invalid_argument", `[${op}] state "${path}" should be a list like the parameters`);
    }
    const out = state.map((
      s,
      i,
    ) => (i < parameters.length ? mergeStructure(op, parameters[i], s, `${path}.${i}`) : s));
    for (let i = out.length; i < parameters.length; i++) out.push(empty(parameters[i]));
    return out;
  }
  if (isPlainObject(parameters)) {
    if (!isPlainObject(state)) {
      throw new MxError(
        "invalid_argument",
        `[${op}] state "${path}" should be an object like the parameters`,
      );
    }
    for (const [key, value] of Object.entries(parameters)) {
      const where = path ? `${path}.${key}` : key;
      state[key] = key in state ? mergeStructure(op, value, state[key], where) : empty(value);
    }
    return state;
  }
  return state;
}

/** Decides whether the gradient at a dotted path goes to an optimizer of `MultiOptimizer`. */
export type ParameterFilter = (path: string, gradient: MxArray) => boolean;

/**
 * Several optimizers for different parameters: a gradient goes to the first optimizer whose
 * filter accepts its path; the last optimizer (which has no filter) takes the rest.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const opt = new mx.optimizers.MultiOptimizer(
 *   [new mx.optimizers.SGD(1), new mx.optimizers.SGD(0.1)],
 *   [(path) => path.startsWith("bias")],
 * );
 * const next = opt.applyGradients(
 *   { weight: mx.array([1]), bias: mx.array([1]) },
 *   { weight: mx.array([0]), bias: mx.array([0]) },
 * ) as Record<string, mx.MxArray>;
 * console.log(next.weight!.item(), next.bias!.item()); // -0.10000000149011612 -1
 * ```
 */
export class MultiOptimizer extends Optimizer {
  readonly optimizers: readonly Optimizer[];
  readonly #filters: ParameterFilter[];

  constructor(optimizers: readonly Optimizer[], filters: readonly ParameterFilter[] = []) {
    super();
    if (
      !Array.isArray(optimizers) || optimizers.length === 0 ||
      !optimizers.every((o) => o instanceof Optimizer)
    ) {
      throw new MxError("invalid_argument", "[MultiOptimizer] expects a non-empty list of optimizers");
    }
    if (!Array.isArray(filters) || filters.length !== optimizers.length - 1) {
      throw new MxError(
        "invalid_argument",
        `[MultiOptimizer] given ${Array.isArray(filters) ? filters.length : String(filters)} filters but ${
          optimizers.length - 1
        } needed (one per optimizer but the last)`,
      );
    }
    this.optimizers = [...optimizers];
    this.#filters = [...filters, () => true];
    super.step.dispose(); // The base state is unused: the wrapped optimizers hold the state.
  }

  #split(gradients: unknown): unknown[] {
    if (this.optimizers.length === 1) return [gradients];
    const parts: [string, unknown][][] = this.optimizers.map(() => []);
    for (const [path, g] of treeFlatten(gradients)) {
      const i = this.#filters.findIndex((fn) => fn(path, g as MxArray));
      parts[i]!.push([path, g]);
    }
    return parts.map((p) => (p.length > 0 ? treeUnflatten(p) : {}));
  }

  /** Initialises each optimizer with its share of `parameters`. */
  override init(parameters: unknown): void {
    this.#split(parameters).forEach((part, i) => this.optimizers[i]!.init(part));
  }

  /** Each optimizer updates its share; the results are merged into one tree. */
  override applyGradients(gradients: unknown, parameters: unknown): unknown {
    let tree: unknown = {};
    this.#split(gradients).forEach((part, i) => {
      tree = treeMerge(tree, this.optimizers[i]!.applyGradients(part, parameters));
    });
    return tree;
  }

  /** `{ states: [each optimizer's state] }`. */
  override get state(): Record<string, unknown> {
    return { states: this.optimizers.map((o) => o.state) };
  }

  override set state(state: Record<string, unknown>) {
    const states = isPlainObject(state) ? state.states : undefined;
    if (!Array.isArray(states) || states.length !== this.optimizers.length) {
      throw new MxError(
        "invalid_argument",
        `[MultiOptimizer] the state must be { states: [...] } with ${this.optimizers.length} entries`,
      );
    }
    states.forEach((s, i) => (this.optimizers[i]!.state = s as Record<string, unknown>));
  }

  /** The first optimizer's step. */
  override get step(): MxArray {
    return this.optimizers[0]!.step;
  }

  /** The first optimizer's learning rate; setting it sets every optimizer's. */
  override get learningRate(): MxArray {
    return this.optimizers[0]!.learningRate;
  }

  override set learningRate(value: number | MxArray) {
    for (const o of this.optimizers) o.learningRate = value;
  }
}
