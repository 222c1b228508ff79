/**
 * `nn.Module`: the base class of layers and models. A module's parameters are its own
 * enumerable properties holding arrays, other modules, or plain objects / JS arrays of them
 * (keys starting with `_` are not parameters), as in MLX.
 *
 * @module
 */

import { MxArray } from "../array.ts";
import type { Dtype } from "../dtype.ts";
import { MxError } from "../errors.ts";
import { astype } from "../ops.ts";
import { valueAndGrad as mxValueAndGrad } from "../transforms.ts";
import { treeFlatten, treeUnflatten } from "../utils.ts";
import { load, savez, saveSafetensors } from "../io/mod.ts";

/** A tree of parameters: an array, or plain objects / lists of trees. */
export type ParameterTree = MxArray | readonly ParameterTree[] | { readonly [key: string]: ParameterTree };

/** The parameters of a module: parameter trees by property name. */
export type Parameters = { [key: string]: ParameterTree };

/** Decides whether `value`, found under `key` in `module`, is kept by `filterAndMap`. */
export type ModuleFilter = (module: Module, key: string, value: unknown) => boolean;

/** Options of `freeze` and `unfreeze`. */
export interface FreezeOptions {
  /** Also (un)freeze the submodules' parameters (default true). */
  recurse?: boolean;
  /** Only these parameter names (default: all the module's own parameters). */
  keys?: string | readonly string[];
  /** Raise when a key does not exist (default false). */
  strict?: boolean;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return Array.isArray(value) || isPlainObject(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "list";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return typeof value;
}

/**
 * The base class of every layer and model. Subclasses assign their parameters (arrays) and
 * submodules (modules, or lists / plain objects of them) to properties and define `forward`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * class Mlp extends mx.nn.Module {
 *   hidden = new mx.nn.Linear(2, 8);
 *   out = new mx.nn.Linear(8, 1);
 *   forward(x: mx.MxArray): mx.MxArray {
 *     return this.out.forward(mx.nn.relu(this.hidden.forward(x)));
 *   }
 * }
 * const model = new Mlp();
 * console.log(mx.utils.treeFlatten(model.parameters()).map(([k]) => k));
 * // [ "hidden.weight", "hidden.bias", "out.weight", "out.bias" ]
 * console.log(model.forward(mx.zeros([4, 2])).shape); // [ 4, 1 ]
 * ```
 */
export class Module {
  #training = true;
  readonly #noGrad = new Set<string>();

  /** Whether the module is in training mode (`train()`) or evaluation mode (`eval()`). */
  get training(): boolean {
    return this.#training;
  }

  /** The names of this module's own frozen parameters. */
  get frozenKeys(): readonly string[] {
    return [...this.#noGrad];
  }

  /** The keys of this module's own state (properties holding arrays, modules or containers). */
  #stateKeys(): string[] {
    return Object.keys(this).filter((key) => {
      const value = (this as Record<string, unknown>)[key];
      return value instanceof MxArray || value instanceof Module || isContainer(value);
    });
  }

  /**
   * Recursively keeps the values `filter` accepts and maps the leaves (arrays, or what
   * `isLeaf` says is a leaf) through `map`; modules become plain objects. The building block
   * of `parameters`, `trainableParameters` and `children`.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const layer = new mx.nn.Linear(3, 2);
   * const shapes = layer.filterAndMap(mx.nn.Module.validParameterFilter, (w) => (w as mx.MxArray).shape);
   * console.log(shapes); // { weight: [ 2, 3 ], bias: [ 2 ] }
   * ```
   */
  filterAndMap(
    filter: ModuleFilter,
    map: (value: unknown) => unknown = (value) => value,
    isLeaf: ModuleFilter = (_m, _k, value) => !(value instanceof Module) && !isContainer(value),
  ): Record<string, unknown> {
    const unwrap = (owner: Module, key: string, value: unknown): unknown => {
      if (isLeaf(owner, key, value)) return map(value);
      if (value instanceof Module) return value.filterAndMap(filter, map, isLeaf);
      if (Array.isArray(value)) {
        return value.map((item, i) => {
          const itemKey = `${key}.${i}`;
          return filter(owner, itemKey, item) ? unwrap(owner, itemKey, item) : {};
        });
      }
      if (isPlainObject(value)) {
        const out: Record<string, unknown> = {};
        for (const [k, item] of Object.entries(value)) {
          const itemKey = `${key}.${k}`;
          out[k] = filter(owner, itemKey, item) ? unwrap(owner, itemKey, item) : {};
        }
        return out;
      }
      // A non-array leaf inside a container (a number in a list of sizes): not state.
      return {};
    };
    const out: Record<string, unknown> = {};
    for (const key of this.#stateKeys()) {
      const value = (this as Record<string, unknown>)[key];
      if (filter(this, key, value)) out[key] = unwrap(this, key, value);
    }
    return out;
  }

  /** Accepts arrays and containers whose key does not start with `_`. */
  static validParameterFilter: ModuleFilter = (_module, key, value) =>
    (value instanceof MxArray || value instanceof Module || isContainer(value)) && !key.startsWith("_");

  /** `validParameterFilter` minus frozen parameters. */
  static trainableParameterFilter: ModuleFilter = (module, key, value) =>
    Module.validParameterFilter(module, key, value) && !module.#noGrad.has(key);

  /** Accepts modules and containers (the path to child modules). */
  static validChildFilter: ModuleFilter = (_module, _key, value) =>
    value instanceof Module || isContainer(value);

  /**
   * Every array of the module and its submodules, as a tree of plain objects and lists.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const p = new mx.nn.Linear(3, 2).parameters();
   * console.log(Object.keys(p), (p.weight as mx.MxArray).shape); // [ "weight", "bias" ] [ 2, 3 ]
   * ```
   */
  parameters(): Parameters {
    return this.filterAndMap(Module.validParameterFilter) as Parameters;
  }

  /**
   * The parameters that are not frozen: what `nn.valueAndGrad` differentiates and optimizers
   * update.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const layer = new mx.nn.Linear(3, 2);
   * layer.freeze({ keys: "bias" });
   * console.log(Object.keys(layer.trainableParameters())); // [ "weight" ]
   * ```
   */
  trainableParameters(): Parameters {
    return this.filterAndMap(Module.trainableParameterFilter) as Parameters;
  }

  /**
   * The direct submodules, by property (lists and objects of modules keep their shape).
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const seq = new mx.nn.Sequential(new mx.nn.Linear(2, 2), new mx.nn.Identity());
   * console.log(Object.keys(seq.children()), (seq.children().layers as unknown[]).length); // [ "layers" ] 2
   * ```
   */
  children(): Record<string, unknown> {
    return this.filterAndMap(Module.validChildFilter, undefined, (_m, _k, v) => v instanceof Module);
  }

  /**
   * The submodules that have no submodules of their own.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const seq = new mx.nn.Sequential(new mx.nn.Linear(2, 2), new mx.nn.Identity());
   * console.log(mx.utils.treeFlatten(seq.leafModules(), { isLeaf: (v) => v instanceof mx.nn.Module }).length); // 2
   * ```
   */
  leafModules(): Record<string, unknown> {
    const isLeafModule: ModuleFilter = (_m, _k, v) =>
      v instanceof Module && treeFlatten(v.children(), { isLeaf: (x) => x instanceof Module }).length === 0;
    return this.filterAndMap(Module.validChildFilter, undefined, isLeafModule);
  }

  /**
   * Replaces parameters with the arrays of `parameters` (a complete or partial tree like
   * `parameters()`). With `strict` (default), keys the module does not have and non-array
   * values are errors.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const layer = new mx.nn.Linear(2, 1);
   * layer.update({ bias: mx.array([5]) });
   * console.log(layer.bias!.tolist()); // [5]
   * ```
   */
  update(parameters: Record<string, unknown>, strict = true): this {
    const apply = (dst: Record<string, unknown> | unknown[], src: unknown, path: string): void => {
      if (isPlainObject(src) && !Array.isArray(dst)) {
        for (const [key, value] of Object.entries(src)) {
          const where = path ? `${path}.${key}` : key;
          if (!(key in dst) || !Object.hasOwn(dst, key)) {
            if (strict) throw new MxError("invalid_argument", `[Module.update] the module has no parameter "${where}"`);
            continue;
          }
          assign(dst, key, value, where);
        }
      } else if (Array.isArray(src) && Array.isArray(dst)) {
        src.forEach((value, i) => {
          const where = `${path}.${i}`;
          if (i >= dst.length) {
            if (strict) {
              throw new MxError(
                "invalid_argument",
                `[Module.update] index ${i} of "${path}" is out of range for a list of ${dst.length}`,
              );
            }
            return;
          }
          assign(dst, i, value, where);
        });
      } else if (strict) {
        throw new MxError("invalid_argument", `[Module.update] "${path || "<root>"}" got a ${describe(src)}, which does not match the module`);
      }
    };
    const assign = (dst: Record<string, unknown> | unknown[], key: string | number, value: unknown, where: string) => {
      const current = (dst as Record<string | number, unknown>)[key];
      if (current instanceof MxArray) {
        if (!(value instanceof MxArray)) {
          if (strict) {
            throw new MxError("invalid_argument", `[Module.update] "${where}" expects an MxArray; got ${describe(value)}`);
          }
          return;
        }
        (dst as Record<string | number, unknown>)[key] = value;
      } else if (current instanceof Module) {
        apply(current as unknown as Record<string, unknown>, value, where);
      } else if (isContainer(current)) {
        apply(current, value, where);
      } else if (strict) {
        throw new MxError("invalid_argument", `[Module.update] "${where}" is not a parameter`);
      }
    };
    apply(this as unknown as Record<string, unknown>, parameters, "");
    return this;
  }

  /**
   * Replaces submodules with the modules of `modules` (a complete or partial tree like
   * `children()`), e.g. to swap layers.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const seq = new mx.nn.Sequential(new mx.nn.Linear(2, 2));
   * seq.updateModules({ layers: [new mx.nn.Identity()] });
   * console.log(seq.forward(mx.array([1, 2])).tolist()); // [1, 2]
   * ```
   */
  updateModules(modules: Record<string, unknown>, strict = true): this {
    const apply = (dst: Record<string, unknown> | unknown[], src: unknown, path: string): void => {
      const entries: [string | number, unknown][] = Array.isArray(src)
        ? src.map((v, i) => [i, v] as [number, unknown])
        : isPlainObject(src)
        ? Object.entries(src)
        : [];
      if (entries.length === 0 && !isContainer(src) && strict) {
        throw new MxError("invalid_argument", `[Module.updateModules] "${path || "<root>"}" got a ${describe(src)}`);
      }
      for (const [key, value] of entries) {
        const where = path ? `${path}.${key}` : String(key);
        const table = dst as Record<string | number, unknown>;
        if (!(key in table)) {
          if (strict) throw new MxError("invalid_argument", `[Module.updateModules] the module has no submodule "${where}"`);
          continue;
        }
        const current = table[key];
        if (current instanceof Module && value instanceof Module) table[key] = value;
        else if (current instanceof Module || isContainer(current)) {
          apply(current as unknown as Record<string, unknown>, value, where);
        } else if (strict && !(isPlainObject(value) && Object.keys(value).length === 0)) {
          throw new MxError("invalid_argument", `[Module.updateModules] "${where}" is not a submodule`);
        }
      }
    };
    apply(this as unknown as Record<string, unknown>, modules, "");
    return this;
  }

  /**
   * Maps every parameter accepted by `filter` (default: all) through `map` and stores the
   * results in the module.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const layer = new mx.nn.Linear(2, 2).apply((w) => mx.zerosLike(w));
   * console.log(layer.bias!.tolist()); // [0, 0]
   * ```
   */
  apply(map: (array: MxArray) => MxArray, filter: ModuleFilter = Module.validParameterFilter): this {
    return this.update(this.filterAndMap(filter, (v) => (v instanceof MxArray ? map(v) : v)));
  }

  /**
   * Calls `fn(path, module)` on this module (path `""`) and every submodule (dotted paths
   * such as `"layers.0"`).
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const seq = new mx.nn.Sequential(new mx.nn.Linear(2, 2), new mx.nn.Identity());
   * const names: string[] = [];
   * seq.applyToModules((path) => names.push(path));
   * console.log(names); // [ "", "layers.1", "layers.0" ]
   * ```
   */
  applyToModules(fn: (path: string, module: Module) => void): this {
    const stack: [string, Module][] = [["", this]];
    while (stack.length > 0) {
      const [prefix, module] = stack.pop()!;
      fn(prefix, module);
      const found = treeFlatten(module.children(), {
        prefix: prefix ? `.${prefix}` : "",
        isLeaf: (v) => v instanceof Module,
      });
      for (const [path, child] of found as [string, unknown][]) {
        if (child instanceof Module) stack.push([path, child]);
      }
    }
    return this;
  }

  /**
   * Every module in this one (itself included), in `applyToModules` order.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * console.log(new mx.nn.Sequential(new mx.nn.Linear(2, 2)).modules().length); // 2
   * ```
   */
  modules(): Module[] {
    const out: Module[] = [];
    this.applyToModules((_path, module) => out.push(module));
    return out;
  }

  /**
   * `[path, module]` for every module in this one (itself as `""`).
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const named = new mx.nn.Sequential(new mx.nn.Linear(2, 2)).namedModules();
   * console.log(named.map(([path, m]) => `${path}:${m.constructor.name}`)); // [ ":Sequential", "layers.0:Linear" ]
   * ```
   */
  namedModules(): [string, Module][] {
    const out: [string, Module][] = [];
    this.applyToModules((path, module) => out.push([path, module]));
    return out;
  }

  #validateKeys(keys: readonly string[], strict: boolean, op: string): void {
    if (!strict) return;
    for (const key of keys) {
      if (!Object.hasOwn(this, key)) throw new MxError("invalid_argument", `[${op}] the module has no member "${key}"`);
    }
  }

  /** The keys of this module's own arrays (directly, or in containers without modules). */
  #ownParameterKeys(): string[] {
    const own = this.filterAndMap((module, key, value) =>
      !(value instanceof Module) && Module.validParameterFilter(module, key, value)
    );
    return [...new Set(treeFlatten(own).map(([path]) => path.split(".")[0]!))];
  }

  /**
   * Freezes parameters (no gradients for them in `nn.valueAndGrad`, optimizers skip them):
   * all of them, or `keys` (e.g. `"bias"`) in this module and, with `recurse`, submodules.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const seq = new mx.nn.Sequential(new mx.nn.Linear(2, 2), new mx.nn.Linear(2, 2));
   * seq.freeze().unfreeze({ keys: "bias" });
   * console.log(mx.utils.treeFlatten(seq.trainableParameters()).map(([k]) => k));
   * // [ "layers.0.bias", "layers.1.bias" ]
   * ```
   */
  freeze(options: FreezeOptions = {}): this {
    const keys = options.keys === undefined ? undefined : typeof options.keys === "string" ? [options.keys] : options.keys;
    this.#recurseKeys("freeze", options, keys, (module) => {
      const local = keys ?? module.#ownParameterKeys();
      for (const key of local) module.#noGrad.add(key);
    });
    return this;
  }

  /**
   * Unfreezes parameters: all of them, or `keys`; see `freeze`.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const layer = new mx.nn.Linear(2, 2).freeze();
   * console.log(Object.keys(layer.unfreeze().trainableParameters())); // [ "weight", "bias" ]
   * ```
   */
  unfreeze(options: FreezeOptions = {}): this {
    const keys = options.keys === undefined ? undefined : typeof options.keys === "string" ? [options.keys] : options.keys;
    this.#recurseKeys("unfreeze", options, keys, (module) => {
      if (keys === undefined) module.#noGrad.clear();
      else for (const key of keys) module.#noGrad.delete(key);
    });
    return this;
  }

  #recurseKeys(
    op: string,
    options: FreezeOptions,
    keys: readonly string[] | undefined,
    body: (module: Module) => void,
  ): void {
    const strict = options.strict ?? false;
    if (options.recurse ?? true) {
      if (strict && keys !== undefined) {
        const modules = this.modules();
        for (const key of keys) {
          if (!modules.some((m) => Object.hasOwn(m, key))) {
            throw new MxError("invalid_argument", `[${op}] no module has a member "${key}"`);
          }
        }
      }
      this.applyToModules((_path, module) => body(module));
    } else {
      if (keys !== undefined) this.#validateKeys(keys, strict, op);
      body(this);
    }
  }

  /**
   * Sets training mode (`mode` true, the default) or evaluation mode, recursively. Layers
   * such as Dropout and BatchNorm behave differently in the two.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const seq = new mx.nn.Sequential(new mx.nn.Linear(2, 2));
   * console.log(seq.eval().training, seq.train().training); // false true
   * ```
   */
  train(mode = true): this {
    this.applyToModules((_path, module) => {
      module.#training = mode;
    });
    return this;
  }

  /**
   * Evaluation mode: `train(false)`.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * console.log(new mx.nn.Linear(2, 2).eval().training); // false
   * ```
   */
  eval(): this {
    return this.train(false);
  }

  /**
   * Casts the parameters whose dtype `predicate` accepts (default: floating point ones) to
   * `dtype`.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const layer = new mx.nn.Linear(2, 2);
   * layer.setDtype(mx.float16);
   * console.log(String(layer.weight.dtype)); // "float16"
   * ```
   */
  setDtype(dtype: Dtype, predicate: (dtype: Dtype) => boolean = (d) => d.category === "floating"): this {
    return this.apply((a) => (predicate(a.dtype) ? astype(a, dtype) : a));
  }

  /**
   * Updates the parameters from a `.safetensors` or `.npz` file, or from `[name, array]` pairs
   * (dotted names as `treeFlatten` makes them). With `strict` (default), the names must be
   * exactly the module's and the shapes must match.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const layer = new mx.nn.Linear(2, 1);
   * layer.loadWeights([["weight", mx.array([[1, 2]])], ["bias", mx.array([3])]]);
   * console.log(layer.forward(mx.array([1, 1])).tolist()); // [6]
   * ```
   */
  loadWeights(
    fileOrWeights: string | readonly (readonly [string, MxArray])[],
    options: { strict?: boolean } = {},
  ): this {
    const strict = options.strict ?? true;
    const weights = typeof fileOrWeights === "string" ? weightsFromFile(fileOrWeights) : fileOrWeights;
    if (strict) {
      const incoming = new Map(weights.map(([k, v]) => [k, v] as const));
      const current = new Map(treeFlatten(this.parameters()) as [string, MxArray][]);
      const extra = [...incoming.keys()].filter((k) => !current.has(k)).sort();
      if (extra.length > 0) {
        throw new MxError(
          "invalid_argument",
          `[loadWeights] received ${extra.length} parameter${extra.length === 1 ? "" : "s"} not in the model: ${extra.join(", ")}`,
        );
      }
      const missing = [...current.keys()].filter((k) => !incoming.has(k)).sort();
      if (missing.length > 0) {
        throw new MxError(
          "invalid_argument",
          `[loadWeights] missing ${missing.length} parameter${missing.length === 1 ? "" : "s"}: ${missing.join(", ")}`,
        );
      }
      for (const [key, value] of current) {
        const next = incoming.get(key);
        if (!(next instanceof MxArray)) {
          throw new MxError("invalid_argument", `[loadWeights] "${key}" must be an MxArray; got ${describe(next)}`);
        }
        if (next.shape.join(",") !== value.shape.join(",")) {
          throw new MxError(
            "shape_mismatch",
            `[loadWeights] "${key}" has shape [${next.shape}] but the model expects [${value.shape}]`,
          );
        }
      }
    }
    if (weights.length > 0) {
      this.update(treeUnflatten(weights) as Record<string, unknown>, false);
    }
    return this;
  }

  /**
   * Saves the parameters (dotted names) to `path`: `.safetensors` (`mx.saveSafetensors`) or
   * `.npz` (`mx.savez`), as MLX's `save_weights`.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * const path = `${Deno.makeTempDirSync()}/linear.safetensors`;
   * const layer = new mx.nn.Linear(2, 1);
   * layer.saveWeights(path);
   * const copy = new mx.nn.Linear(2, 1).loadWeights(path);
   * console.log(mx.arrayEqual(copy.weight, layer.weight).item()); // true
   * ```
   */
  saveWeights(path: string): void {
    const flat = Object.fromEntries(treeFlatten(this.parameters())) as Record<string, MxArray>;
    if (path.endsWith(".safetensors")) saveSafetensors(path, flat);
    else if (path.endsWith(".npz")) savez(path, flat);
    else {
      throw new MxError("invalid_argument", `[saveWeights] unsupported file extension for ${path}; use .npz or .safetensors`);
    }
  }

  /** Extra text for `toString` (layer sizes). */
  protected extraRepr(): string {
    return "";
  }

  /**
   * MLX's printed form: the class, its sizes, and its children indented.
   *
   * @example
   * ```ts
   * import * as mx from "mlx-ts";
   * console.log(String(new mx.nn.Sequential(new mx.nn.Linear(2, 3))));
   * // Sequential(
   * //   (layers.0): Linear(input_dims=2, output_dims=3, bias=true)
   * // )
   * ```
   */
  toString(): string {
    const children = treeFlatten(this.children(), { isLeaf: (v) => v instanceof Module }) as [string, unknown][];
    let out = `${this.constructor.name}(${this.extraRepr()}`;
    for (const [key, child] of children) {
      out += `\n  (${key}): ${String(child).replaceAll("\n", "\n  ")}`;
    }
    return out + (children.length > 0 ? "\n)" : ")");
  }
}

/** The `[name, array]` pairs of a weights file (`.safetensors` or `.npz`). */
function weightsFromFile(path: string): [string, MxArray][] {
  if (!path.endsWith(".safetensors") && !path.endsWith(".npz")) {
    throw new MxError("invalid_argument", `[loadWeights] unsupported file extension for ${path}; use .npz or .safetensors`);
  }
  return Object.entries(load(path, { format: path.endsWith(".npz") ? "npz" : "safetensors" }));
}

/**
 * A function returning `[fn(...args), gradients]`, the gradients being with respect to the
 * model's trainable parameters (a tree like `trainableParameters()`). `fn` calls the model;
 * the model's own parameters are unchanged by the call.
 *
 * @param model The model whose trainable parameters are differentiated.
 * @param fn A function returning a scalar array (or a list whose first element is one).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const model = new mx.nn.Linear(1, 1);
 * model.update({ weight: mx.array([[2]]), bias: mx.array([0]) });
 * const loss = (x: mx.MxArray) => mx.sum(mx.square(model.forward(x)));
 * const [value, grads] = mx.nn.valueAndGrad(model, loss)(mx.array([[3]]));
 * console.log(value.item(), (grads.weight as mx.MxArray).tolist()); // 36 [[36]]
 * ```
 */
export function valueAndGrad<A extends unknown[], R extends MxArray | readonly [MxArray, ...unknown[]]>(
  model: Module,
  fn: (...args: A) => R,
): (...args: A) => [R, Parameters] {
  const inner = mxValueAndGrad((parameters: Parameters, ...args: A): R => {
    model.update(parameters);
    return fn(...args);
  });
  return (...args: A): [R, Parameters] => {
    const parameters = model.trainableParameters();
    try {
      return inner(parameters, ...args);
    } finally {
      model.update(parameters);
    }
  };
}
