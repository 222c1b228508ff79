/**
 * `mx.utils`: MLX's tree helpers. A tree is nested plain objects and JS arrays; everything
 * else (arrays, numbers, strings, ...) is a leaf, unless `isLeaf` says a container is one.
 *
 * @module
 */

import { MxError } from "./errors.ts";

/** Options of the tree functions that walk containers. */
export interface TreeOptions {
  /** Treat a value as a leaf even when it is a container. */
  isLeaf?: (value: unknown) => boolean;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isLeafOf(value: unknown, options: TreeOptions): boolean {
  if (options.isLeaf?.(value)) return true;
  return !Array.isArray(value) && !isPlainObject(value);
}

/**
 * Applies `fn` to every leaf of `tree` (and the matching leaves of `rest`, trees of the same
 * structure), keeping the structure.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.utils.treeMap((x) => (x as number) * 2, { a: [1, 2], b: 3 })); // { a: [ 2, 4 ], b: 6 }
 * ```
 */
export function treeMap(
  fn: (...leaves: unknown[]) => unknown,
  tree: unknown,
  rest: unknown[] = [],
  options: TreeOptions = {},
): unknown {
  return treeMapWithPath((_path, ...leaves) => fn(...leaves), tree, rest, options);
}

/**
 * `treeMap` whose `fn` also receives the leaf's dotted path (`"layers.0.weight"`).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.utils.treeMapWithPath((path) => path, { a: [1, { b: 2 }] })); // { a: [ "a.0", { b: "a.1.b" } ] }
 * ```
 */
export function treeMapWithPath(
  fn: (path: string, ...leaves: unknown[]) => unknown,
  tree: unknown,
  rest: unknown[] = [],
  options: TreeOptions = {},
  path = "",
): unknown {
  if (isLeafOf(tree, options)) return fn(path, tree, ...rest);
  const prefix = path === "" ? "" : `${path}.`;
  if (Array.isArray(tree)) {
    return tree.map((child, i) =>
      treeMapWithPath(fn, child, rest.map((r) => (r as unknown[])[i]), options, `${prefix}${i}`)
    );
  }
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(tree as Record<string, unknown>)) {
    out[key] = treeMapWithPath(
      fn,
      child,
      rest.map((r) => (r as Record<string, unknown>)[key]),
      options,
      `${prefix}${key}`,
    );
  }
  return out;
}

/**
 * The leaves of `tree` as `[path, leaf]` pairs, paths dotted (`"a.0.b"`); `prefix` starts
 * every path after its first character is dropped (MLX's convention: `".model"` gives
 * `"model.a.0"`).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.utils.treeFlatten({ a: [1, 2], b: { c: 3 } })); // [ [ "a.0", 1 ], [ "a.1", 2 ], [ "b.c", 3 ] ]
 * ```
 */
export function treeFlatten(
  tree: unknown,
  options: TreeOptions & { prefix?: string } = {},
): [string, unknown][] {
  const out: [string, unknown][] = [];
  // As in mlx.utils: keys are joined as `${prefix}.${key}` and the first character of the
  // result is dropped (so the default prefix "" gives "a.0", and ".hello" gives "hello.0").
  const walk = (node: unknown, path: string): void => {
    if (isLeafOf(node, options)) {
      out.push([path.slice(1), node]);
      return;
    }
    const entries = Array.isArray(node)
      ? node.map((v, i) => [String(i), v] as const)
      : Object.entries(node as object);
    for (const [key, child] of entries) walk(child, `${path}.${key}`);
  };
  walk(tree, options.prefix ?? "");
  return out;
}

/**
 * Rebuilds a tree from `[path, leaf]` pairs (or an object of them): levels whose keys are
 * all integers become arrays (gaps filled with `{}`), others objects.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.utils.treeUnflatten([["a.0", 1], ["a.1", 2], ["b.c", 3]])); // { a: [ 1, 2 ], b: { c: 3 } }
 * ```
 */
export function treeUnflatten(
  items: readonly (readonly [string, unknown])[] | Record<string, unknown>,
): unknown {
  const pairs: (readonly [string, unknown])[] = Array.isArray(items) ? [...items] : Object.entries(items);
  if (pairs.length === 1 && pairs[0]![0] === "") return pairs[0]![1];
  const children = new Map<string, [string, unknown][]>();
  for (const [key, value] of pairs) {
    const dot = key.indexOf(".");
    const head = dot < 0 ? key : key.slice(0, dot);
    const tail = dot < 0 ? "" : key.slice(dot + 1);
    if (!children.has(head)) children.set(head, []);
    children.get(head)!.push([tail, value]);
  }
  const indices = [...children.keys()].map((k) => (/^\d+$/.test(k) ? Number(k) : NaN));
  const isList = indices.every((i) => !Number.isNaN(i)) && new Set(indices).size === indices.length;
  if (isList) {
    const list: unknown[] = [];
    const sorted = [...children.keys()].sort((a, b) => Number(a) - Number(b));
    for (const key of sorted) {
      while (list.length < Number(key)) list.push({});
      list.push(treeUnflatten(children.get(key)!));
    }
    return list;
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of children) out[key] = treeUnflatten(value);
  return out;
}

/**
 * Reduces the leaves of `tree` with `fn(accumulator, leaf)`, from `initial` (or the first
 * leaf when `initial` is undefined).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.utils.treeReduce((acc, x) => (acc as number) + (x as number), { a: [1, 2, 3], b: [4, 5] }, 0)); // 15
 * ```
 */
export function treeReduce(
  fn: (accumulator: unknown, leaf: unknown) => unknown,
  tree: unknown,
  initial?: unknown,
  options: TreeOptions = {},
): unknown {
  let accumulator = initial;
  for (const [, leaf] of treeFlatten(tree, options)) {
    accumulator = accumulator === undefined ? leaf : fn(accumulator, leaf);
  }
  return accumulator;
}

/**
 * Merges two trees into one with the leaves of both (a deep `Object.assign`); empty
 * containers are empty subtrees. Two leaves in one place are merged by `mergeFn`, or are an
 * error.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.utils.treeMerge({ a: 1, b: [2] }, { c: 3, b: [] })); // { a: 1, b: [ 2 ], c: 3 }
 * ```
 */
export function treeMerge(a: unknown, b: unknown, mergeFn?: (a: unknown, b: unknown) => unknown): unknown {
  const isEmpty = (t: unknown) =>
    (Array.isArray(t) && t.length === 0) || (isPlainObject(t) && Object.keys(t).length === 0);
  if (isEmpty(a) && isEmpty(b)) {
    if (Array.isArray(a) !== Array.isArray(b)) {
      throw new MxError("invalid_argument", "[tree_merge] cannot merge an array with an object");
    }
    return Array.isArray(a) ? [] : {};
  }
  const left = isEmpty(a) ? undefined : a;
  const right = isEmpty(b) ? undefined : b;
  if (left === undefined) return right;
  if (right === undefined) return left;
  if (Array.isArray(left) && Array.isArray(right)) {
    return Array.from(
      { length: Math.max(left.length, right.length) },
      (_, i) => treeMerge(left[i], right[i], mergeFn),
    );
  }
  if (isPlainObject(left) && isPlainObject(right)) {
    const out: Record<string, unknown> = {};
    for (const key of new Set([...Object.keys(left), ...Object.keys(right)])) {
      out[key] = treeMerge(left[key], right[key], mergeFn);
    }
    return out;
  }
  if (mergeFn === undefined) {
    throw new MxError(
      "invalid_argument",
      "[tree_merge] trees contain two leaves in the same place; pass mergeFn to combine them",
    );
  }
  return mergeFn(left, right);
}
