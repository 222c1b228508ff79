/**
 * One test API for both runtimes: `test(name, fn)` registers with `Deno.test` under Deno and
 * with `bun:test` under Bun, plus the assertions the suite uses (no third-party runner).
 *
 * @module
 */

type TestFn = () => void | Promise<void>;

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

let register: (name: string, fn: TestFn) => void;
if (isBun) {
  // A computed specifier keeps Deno from resolving Bun's built-in module.
  const specifier = ["bun", "test"].join(":");
  const bunTest = (await import(specifier)) as {
    test: (name: string, fn: TestFn, timeoutMs: number) => void;
  };
  // Bun's default 5 s per test is a speed assertion on a loaded machine; Deno has none.
  const timeoutMs = 120_000;
  register = (name, fn) => bunTest.test(name, fn, timeoutMs);
} else {
  register = (name, fn) => Deno.test(name, fn);
}

/** The runtime the suite runs in. */
export const runtimeName: "deno" | "bun" = isBun ? "bun" : "deno";

/** Registers a test with the running runtime's test runner. */
export function test(name: string, fn: TestFn): void {
  register(name, fn);
}

export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new AssertionError(message);
}

function show(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)) ?? String(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if ((a as object).constructor !== (b as object).constructor) return false;
    const x = a as unknown as ArrayLike<unknown>;
    const y = b as unknown as ArrayLike<unknown>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    return true;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a as object);
  const keysB = Object.keys(b as object);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function assertEquals(actual: unknown, expected: unknown, message?: string): void {
  if (!deepEqual(actual, expected)) {
    throw new AssertionError(`${message ? message + ": " : ""}expected ${show(expected)}, got ${show(actual)}`);
  }
}

/** Asserts `fn` throws an instance of `ErrorClass` whose message includes `includes`;
 * returns the error. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  ErrorClass: new (...args: never[]) => E,
  includes?: string,
): E {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof ErrorClass)) {
      throw new AssertionError(`expected ${ErrorClass.name}, got ${String(error)}`);
    }
    if (includes !== undefined && !error.message.includes(includes)) {
      throw new AssertionError(`expected the message to include "${includes}", got "${error.message}"`);
    }
    return error;
  }
  throw new AssertionError(`expected ${ErrorClass.name} to be thrown`);
}

/** Compares numbers, nested lists of them, and NaN/infinities, within
 * `|a - e| <= atol + rtol * |e|`. */
export function assertAllClose(
  actual: unknown,
  expected: unknown,
  { rtol = 1e-5, atol = 1e-8, label = "" }: { rtol?: number; atol?: number; label?: string } = {},
): void {
  const fail = (path: string, why: string) => {
    throw new AssertionError(`${label ? label + ": " : ""}at ${path || "top"}: ${why}`);
  };
  const walk = (a: unknown, e: unknown, path: string): void => {
    if (Array.isArray(e)) {
      if (!Array.isArray(a) || a.length !== e.length) {
        fail(path, `expected a list of ${e.length}, got ${show(a)}`);
      }
      e.forEach((item, i) => walk((a as unknown[])[i], item, `${path}[${i}]`));
      return;
    }
    if (typeof e === "boolean" || typeof a === "boolean") {
      if (a !== e) fail(path, `expected ${show(e)}, got ${show(a)}`);
      return;
    }
    if (typeof e !== "number" || typeof a !== "number") {
      fail(path, `expected number ${show(e)}, got ${show(a)}`);
      return;
    }
    if (Number.isNaN(e)) {
      if (!Number.isNaN(a)) fail(path, `expected NaN, got ${a}`);
      return;
    }
    if (!Number.isFinite(e)) {
      if (a !== e) fail(path, `expected ${e}, got ${a}`);
      return;
    }
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) fail(path, `expected ${e}, got ${a}`);
  };
  walk(actual, expected, "");
}
