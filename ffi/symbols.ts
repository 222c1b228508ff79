/**
 * The native library's symbol table, written once in a neutral form. The Deno and Bun
 * adapters derive their `dlopen` tables from it, `NativeLib` derives the TypeScript types,
 * and the tests compare it with the signatures the library itself reports
 * (`mlxts_abi_signatures`), so the three cannot disagree.
 *
 * Conventions (see zig-native/src/abi.zig): every symbol is `mlxts_<name>`; arrays cross as
 * 32-bit handles; a function that makes an array returns its handle or 0 on failure, others
 * return a status (0 = ok); `last_status` / `last_error_*` describe the last failure.
 *
 * @module
 */

/** An argument type: 32-bit integers and doubles take each runtime's fast path; `u64` is a
 * BigInt; `buffer` is a typed array (or null) whose memory the call reads or writes. */
export type ArgType = "i32" | "u32" | "u64" | "f64" | "buffer";
/** A result type; `pointer` is a raw address, only ever turned into a view by the adapter. */
export type ResultType = "i32" | "u32" | "u64" | "f64" | "pointer" | "void";

export interface SymbolSpec {
  readonly args: readonly ArgType[];
  readonly result: ResultType;
}

export const symbolPrefix = "mlxts_";

export const symbols = {
  version: { args: [], result: "u32" },
  cpu_level: { args: [], result: "u32" },
  cpu_level_built: { args: [], result: "u32" },
  trace_begin: { args: [], result: "void" },
  trace_end: { args: [], result: "i32" },
  tracer: { args: ["u32"], result: "u32" },
  vjp: { args: ["buffer", "buffer", "u32", "buffer", "u32", "buffer"], result: "i32" },
  compile_begin: { args: [], result: "void" },
  compile_end: { args: [], result: "i32" },
  compile_build: { args: ["buffer", "u32", "buffer", "u32", "u32"], result: "u32" },
  compile_run: { args: ["u32", "buffer", "u32", "buffer", "u32"], result: "i32" },
  compile_free: { args: ["u32"], result: "i32" },
  compile_step_count: { args: ["u32", "u32"], result: "i32" },
  custom_output: { args: ["u32", "u32", "buffer", "u32", "u32"], result: "u32" },
  untraced: { args: ["u32"], result: "u32" },
  last_status: { args: [], result: "i32" },
  last_error_length: { args: [], result: "u32" },
  last_error_copy: { args: ["buffer", "u32"], result: "u32" },
  abi_signatures: { args: ["buffer", "u32"], result: "u32" },
  array_from_bytes: { args: ["buffer", "u64", "u32", "buffer", "u32"], result: "u32" },
  array_free: { args: ["u32"], result: "i32" },
  array_ndim: { args: ["u32"], result: "i32" },
  array_dtype: { args: ["u32"], result: "i32" },
  array_shape: { args: ["u32", "buffer", "u32"], result: "i32" },
  array_is_evaluated: { args: ["u32"], result: "i32" },
  array_read: { args: ["u32", "buffer", "u64"], result: "i32" },
  array_data: { args: ["u32"], result: "pointer" },
  eval: { args: ["buffer", "u32"], result: "i32" },
  eval_async: { args: ["buffer", "u32"], result: "u32" },
  eval_poll: { args: ["u32"], result: "i32" },
  eval_release: { args: ["u32"], result: "i32" },
  op_names: { args: ["u32", "buffer", "u32"], result: "u32" },
  unary: { args: ["u32", "u32"], result: "u32" },
  binary: { args: ["u32", "u32", "u32"], result: "u32" },
  where: { args: ["u32", "u32", "u32"], result: "u32" },
  reduce: { args: ["u32", "u32", "buffer", "u32", "u32"], result: "u32" },
  arg_reduce: { args: ["u32", "u32", "i32", "u32"], result: "u32" },
  scan: { args: ["u32", "u32", "i32", "u32", "u32"], result: "u32" },
  sort: { args: ["u32", "u32", "i32", "i32"], result: "u32" },
  astype: { args: ["u32", "u32"], result: "u32" },
  transpose: { args: ["u32", "buffer", "u32"], result: "u32" },
  reshape: { args: ["u32", "buffer", "u32"], result: "u32" },
  broadcast_to: { args: ["u32", "buffer", "u32"], result: "u32" },
  slice: { args: ["u32", "buffer", "u32"], result: "u32" },
  concatenate: { args: ["buffer", "u32", "i32"], result: "u32" },
  matmul: { args: ["u32", "u32"], result: "u32" },
  random_bits: { args: ["u32", "buffer", "u32", "u32"], result: "u32" },
  linalg_inverse: { args: ["u32", "u32", "u32"], result: "u32" },
  linalg_cholesky: { args: ["u32", "u32"], result: "u32" },
  linalg_lu_factor: { args: ["u32"], result: "u32" },
  fft: { args: ["u32", "buffer", "u32", "i32", "u32"], result: "u32" },
  linalg_decompose: { args: ["u32", "u32", "u32", "buffer", "u32"], result: "i32" },
  copy: { args: ["u32"], result: "u32" },
  arange: { args: ["f64", "f64", "f64", "u32"], result: "u32" },
  gather: { args: ["u32", "buffer", "u32"], result: "u32" },
  scatter: { args: ["u32", "u32", "buffer", "u32", "u32"], result: "u32" },
  memory_active_bytes: { args: [], result: "u64" },
  memory_peak_bytes: { args: [], result: "u64" },
  memory_reset_peak: { args: [], result: "void" },
  memory_set_limit: { args: ["u64"], result: "u64" },
  memory_cache_bytes: { args: [], result: "u64" },
  memory_set_cache_limit: { args: ["u64"], result: "u64" },
  memory_clear_cache: { args: [], result: "void" },
  live_handles: { args: [], result: "u32" },
  convolution: { args: ["u32", "u32", "buffer", "u32", "i32", "u32"], result: "u32" },
  as_strided: { args: ["u32", "buffer", "u32", "buffer", "f64"], result: "u32" },
  gguf_unpack: { args: ["buffer", "u64", "u32", "buffer", "u32", "u32"], result: "u32" },
  quantize: { args: ["u32", "u32", "u32", "u32", "u32"], result: "u32" },
  dequantize: { args: ["u32", "u32", "u32", "u32", "u32", "u32", "i32"], result: "u32" },
  quantized_matmul: { args: ["u32", "u32", "u32", "u32", "u32", "u32", "u32", "u32"], result: "u32" },
  fast_norm: { args: ["u32", "u32", "u32", "u32", "f64"], result: "u32" },
  fast_rope: { args: ["u32", "i32", "u32", "f64", "f64", "i32", "u32", "u32"], result: "u32" },
  fast_attention: { args: ["u32", "u32", "u32", "f64", "u32", "u32"], result: "u32" },
} as const satisfies Record<string, SymbolSpec>;

export type SymbolName = keyof typeof symbols;

/** An opaque native address; only the runtime adapter can read memory through it. */
export type NativePointer = { readonly __nativePointer: unique symbol } | number | null;

type JsArg<T extends ArgType> = T extends "buffer" ? ArrayBufferView | null
  : T extends "u64" ? bigint
  : number;

type JsArgs<T extends readonly ArgType[]> = { [K in keyof T]: T[K] extends ArgType ? JsArg<T[K]> : never };

type JsResult<T extends ResultType> = T extends "pointer" ? NativePointer
  : T extends "u64" ? bigint
  : T extends "void" ? void
  : number;

/** The library as the TypeScript side calls it: one function per symbol, unprefixed. */
export type NativeLib = {
  readonly [K in SymbolName]: (
    ...args: JsArgs<(typeof symbols)[K]["args"]>
  ) => JsResult<(typeof symbols)[K]["result"]>;
};

/** The signature string the native library reports, built from this table. */
export function signatureString(): string {
  const abiName = (t: ArgType | ResultType): string =>
    t === "buffer" || t === "pointer" ? "ptr" : t;
  return Object.entries(symbols as Record<string, SymbolSpec>)
    .map(([name, spec]) => `${name}(${spec.args.map(abiName).join(",")})${abiName(spec.result)};`)
    .join("");
}
