/**
 * Deterministic memory: `mx.tidy(fn)` disposes every array made inside `fn` except those it
 * returns (sync or async; scopes follow async context, so concurrent tasks do not capture
 * each other's arrays), `mx.keep(a)` exempts an array, `mx.dispose(tree)` disposes a tree.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import type { MxArray } from "./array.ts";

interface Scope {
  readonly arrays: MxArray[];
  readonly kept: Set<MxArray>;
}

const scopes = new AsyncLocalStorage<Scope>();

/** @internal Called for every new array: records it in the running tidy scope, if any. */
export function trackArray(array: MxArray): void {
  scopes.getStore()?.arrays.push(array);
}

/** Calls `visit` on every MxArray in a tree of arrays, plain objects and JS arrays. */
function forEachArray(tree: unknown, visit: (a: MxArray) => void, isArray: (x: unknown) => x is MxArray): void {
  const stack: unknown[] = [tree];
  const seen = new Set<unknown>();
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== "object" || seen.has(node)) continue;
    seen.add(node);
    if (isArray(node)) visit(node);
    else if (Array.isArray(node)) stack.push(...node);
    else if (Object.getPrototypeOf(node) === Object.prototype || node instanceof Map) {
      stack.push(...(node instanceof Map ? node.values() : Object.values(node)));
    }
  }
}

let isMxArray: (x: unknown) => x is MxArray = (_x): _x is MxArray => false;

/** @internal Registers the MxArray class test (array.ts cannot be imported from here). */
export function setArrayTest(test: (x: unknown) => x is MxArray): void {
  isMxArray = test;
}

function finish(scope: Scope, result: unknown): void {
  const survivors = new Set<MxArray>();
  forEachArray(result, (a) => survivors.add(a), isMxArray);
  for (const a of scope.arrays) {
    if (!survivors.has(a) && !scope.kept.has(a)) a.dispose();
  }
  // What survives belongs to the enclosing scope now.
  const outer = scopes.getStore();
  if (outer) for (const a of survivors) if (!a.disposed) outer.arrays.push(a);
}

/**
 * Runs `fn` and disposes every array created during it, except the arrays in its result
 * (an array, or arrays inside returned objects/lists) and arrays passed to `mx.keep`.
 * Works with async functions: the scope ends when the promise settles.
 *
 * @param fn The function to run.
 * @returns What `fn` returns.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const x = mx.array([1, 2, 3]);
 * const y = mx.tidy(() => mx.sum(mx.multiply(mx.add(x, 1), 2))); // temporaries disposed
 * console.log(y.item()); // 18
 * ```
 */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = { arrays: [], kept: new Set() };
  let result: T;
  try {
    result = scopes.run(scope, fn);
  } catch (error) {
    finish(scope, undefined);
    throw error;
  }
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        finish(scope, value);
        return value;
      },
      (error) => {
        finish(scope, undefined);
        throw error;
      },
    ) as T;
  }
  finish(scope, result);
  return result;
}

/**
 * Keeps an array alive past the end of the enclosing `tidy` scope; returns it.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * let saved: mx.MxArray | undefined;
 * mx.tidy(() => {
 *   saved = mx.keep(mx.ones([2]));
 * });
 * console.log(saved!.tolist()); // [1, 1]
 * ```
 */
export function keep<T extends MxArray>(array: T): T {
  scopes.getStore()?.kept.add(array);
  return array;
}

/**
 * Disposes every array in a tree (arrays, plain objects, JS arrays, Maps); other values are
 * ignored. Disposing twice is harmless.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const params = { w: mx.ones([2, 2]), b: [mx.zeros([2])] };
 * mx.dispose(params);
 * console.log(params.w.disposed); // true
 * ```
 */
export function dispose(tree: unknown): void {
  forEachArray(tree, (a) => a.dispose(), isMxArray);
}
