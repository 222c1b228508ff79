/**
 * Dtypes: the element types of arrays (`mx.float32`, `mx.int32`, ...), with MLX's names.
 *
 * @module
 */

import { MxError } from "./errors.ts";

/** The name of a dtype, as MLX prints it. */
export type DtypeName =
  | "bool"
  | "uint8"
  | "uint16"
  | "uint32"
  | "uint64"
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "float16"
  | "float32"
  | "float64"
  | "bfloat16"
  | "complex64";

/** What kind of values a dtype holds. */
export type DtypeCategory = "bool" | "unsignedinteger" | "signedinteger" | "floating" | "complexfloating";

/**
 * An element type. Compare dtypes by identity: `a.dtype === mx.float32`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.float16.size, String(mx.int8)); // 2 "int8"
 * ```
 */
export class Dtype {
  /** @internal The code shared with the native library. */
  readonly code: number;
  /** The MLX name, e.g. `"float32"`. */
  readonly name: DtypeName;
  /** Bytes per element. */
  readonly size: number;
  readonly category: DtypeCategory;

  /** @internal Dtypes are the fixed set exported by this module. */
  constructor(code: number, name: DtypeName, size: number, category: DtypeCategory) {
    this.code = code;
    this.name = name;
    this.size = size;
    this.category = category;
    Object.freeze(this);
  }

  toString(): string {
    return this.name;
  }
}

export const bool: Dtype = new Dtype(0, "bool", 1, "bool");
export const uint8: Dtype = new Dtype(1, "uint8", 1, "unsignedinteger");
export const uint16: Dtype = new Dtype(2, "uint16", 2, "unsignedinteger");
export const uint32: Dtype = new Dtype(3, "uint32", 4, "unsignedinteger");
export const uint64: Dtype = new Dtype(4, "uint64", 8, "unsignedinteger");
export const int8: Dtype = new Dtype(5, "int8", 1, "signedinteger");
export const int16: Dtype = new Dtype(6, "int16", 2, "signedinteger");
export const int32: Dtype = new Dtype(7, "int32", 4, "signedinteger");
export const int64: Dtype = new Dtype(8, "int64", 8, "signedinteger");
export const float16: Dtype = new Dtype(9, "float16", 2, "floating");
export const float32: Dtype = new Dtype(10, "float32", 4, "floating");
export const float64: Dtype = new Dtype(11, "float64", 8, "floating");
export const bfloat16: Dtype = new Dtype(12, "bfloat16", 2, "floating");
export const complex64: Dtype = new Dtype(13, "complex64", 8, "complexfloating");

/** Every dtype, indexed by its native code. */
export const dtypes: readonly Dtype[] = Object.freeze([
  bool,
  uint8,
  uint16,
  uint32,
  uint64,
  int8,
  int16,
  int32,
  int64,
  float16,
  float32,
  float64,
  bfloat16,
  complex64,
]);

/**
 * @internal The native code of `dtype`, checked: a value that is not one of this module's
 * dtypes (a string such as `"float32"`, a typed-array constructor) is a clear error.
 */
export function dtypeCode(op: string, dtype: unknown): number {
  if (dtype instanceof Dtype) return dtype.code;
  const shown = typeof dtype === "string" ? `the string "${dtype}"` : String(dtype);
  const hint = typeof dtype === "string" && dtypes.some((d) => d.name === dtype) ? ` (use mx.${dtype})` : "";
  throw new MxError("invalid_argument", `[${op}] dtype must be an mx dtype such as mx.float32; got ${shown}${hint}`);
}

/** @internal The dtype with a native code. */
export function dtypeFromCode(code: number): Dtype {
  const dtype = dtypes[code];
  if (dtype === undefined) throw new RangeError(`unknown dtype code ${code}`);
  return dtype;
}
