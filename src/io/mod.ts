/**
 * Saving and loading arrays: `.npy`, `.npz`, `.safetensors` and `.gguf`, from files
 * (`load`, `save`, `savez`, `savezCompressed`, `saveSafetensors`, `saveGguf`) or bytes
 * (`loadBytes`, `saveBytes`). Each file is read once and each array made with one native
 * copy; malformed files raise `MxError` naming the file and the problem.
 *
 * @module
 */

import { readFileSync, writeFileSync } from "node:fs";
import { MxArray } from "../array.ts";
import { MxError } from "../errors.ts";
import { type GgufValue, encodeGguf, parseGguf } from "./gguf.ts";
import { encodeNpy, parseNpy } from "./npy.ts";
import { encodeSafetensors, parseSafetensors } from "./safetensors.ts";
import { readZip, writeZip } from "./zip.ts";

export type { GgufValue } from "./gguf.ts";

/** The formats `load` reads. */
export type LoadFormat = "npy" | "npz" | "safetensors" | "gguf";

/** Options of `load` / `loadBytes`. */
export interface LoadOptions {
  /** The format; by default the path's extension. */
  format?: LoadFormat;
  /** Also return the metadata (safetensors and gguf only). */
  returnMetadata?: boolean;
}

/** Arrays by name with a file's metadata (safetensors: strings; gguf: see `GgufValue`). */
export interface LoadResult {
  arrays: Record<string, MxArray>;
  metadata: Record<string, GgufValue>;
}

type NamedFormat = "npz" | "safetensors" | "gguf";

/**
 * Loads arrays from a file: `.npy` gives one array; `.npz`, `.safetensors` and `.gguf` give
 * arrays by name; with `returnMetadata: true`, `{ arrays, metadata }`.
 *
 * @param path The file; its extension picks the format unless `format` is given.
 * @param options `format`, `returnMetadata`.
 * @returns The array, the arrays by name, or arrays and metadata.
 * @example Round trip through a .npy file
 * ```ts
 * import * as mx from "mlx-ts";
 * const path = Deno.makeTempFileSync({ suffix: ".npy" });
 * mx.save(path, mx.array([1, 2, 3]));
 * console.log(String(mx.load(path))); // array([1, 2, 3], dtype=float32)
 * ```
 */
export function load(path: `${string}.npy`, options?: { format?: "npy"; returnMetadata?: false }): MxArray;
export function load(path: string, options: { format: "npy"; returnMetadata?: false }): MxArray;
export function load(path: string, options: { format?: LoadFormat; returnMetadata: true }): LoadResult;
export function load(path: string, options: { format: NamedFormat; returnMetadata?: false }): Record<string, MxArray>;
export function load(
  path: `${string}.${NamedFormat}`,
  options?: { format?: NamedFormat; returnMetadata?: false },
): Record<string, MxArray>;
export function load(path: string, options?: LoadOptions): MxArray | Record<string, MxArray> | LoadResult;
export function load(path: string, options: LoadOptions = {}): MxArray | Record<string, MxArray> | LoadResult {
  const format = options.format ?? formatOf(path);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new MxError("invalid_argument", `[load] Failed to open ${path}: ${(e as Error).message}`);
  }
  return decode(bytes, format, options.returnMetadata ?? false, path);
}

/**
 * Loads arrays from a file's bytes, as `load` does (the format must be given).
 *
 * @param bytes The file's contents.
 * @param options `format` (required), `returnMetadata`.
 * @returns The array, the arrays by name, or arrays and metadata.
 * @example Bytes in, bytes out
 * ```ts
 * import * as mx from "mlx-ts";
 * const bytes = mx.saveBytes("safetensors", { w: mx.array([1.5]) }, { kind: "demo" });
 * const { arrays, metadata } = mx.loadBytes(bytes, { format: "safetensors", returnMetadata: true });
 * console.log(String(arrays.w), metadata.kind); // array([1.5], dtype=float32) demo
 * ```
 */
export function loadBytes(bytes: Uint8Array, options: { format: "npy"; returnMetadata?: false }): MxArray;
export function loadBytes(bytes: Uint8Array, options: { format: LoadFormat; returnMetadata: true }): LoadResult;
export function loadBytes(
  bytes: Uint8Array,
  options: { format: NamedFormat; returnMetadata?: false },
): Record<string, MxArray>;
export function loadBytes(
  bytes: Uint8Array,
  options: LoadOptions & { format: LoadFormat },
): MxArray | Record<string, MxArray> | LoadResult;
export function loadBytes(
  bytes: Uint8Array,
  options: LoadOptions & { format: LoadFormat },
): MxArray | Record<string, MxArray> | LoadResult {
  if (!(bytes instanceof Uint8Array)) throw new MxError("invalid_argument", "[load] loadBytes takes a Uint8Array");
  return decode(bytes, options.format, options.returnMetadata ?? false, "<bytes>");
}

function formatOf(path: string): LoadFormat {
  const dot = path.lastIndexOf(".");
  const ext = dot < 0 || path.lastIndexOf("/") > dot ? "" : path.slice(dot + 1);
  if (ext === "npy" || ext === "npz" || ext === "safetensors" || ext === "gguf") return ext;
  if (ext === "") throw new MxError("invalid_argument", `[load] Could not infer file format from extension of ${path}`);
  throw new MxError("invalid_argument", `[load] Unknown file format ${ext} of ${path}`);
}

function decode(
  bytes: Uint8Array,
  format: LoadFormat,
  returnMetadata: boolean,
  label: string,
): MxArray | Record<string, MxArray> | LoadResult {
  if (returnMetadata && (format === "npy" || format === "npz")) {
    throw new MxError("invalid_argument", `[load] metadata not supported for format ${format}`);
  }
  switch (format) {
    case "npy":
      return parseNpy(bytes, label);
    case "npz":
      return loadNpz(bytes, label);
    case "safetensors": {
      const { arrays, metadata } = parseSafetensors(bytes, label);
      return returnMetadata ? { arrays, metadata } : arrays;
    }
    case "gguf": {
      const { arrays, metadata } = parseGguf(bytes, label);
      if (returnMetadata) return { arrays, metadata };
      for (const v of Object.values(metadata)) if (v instanceof MxArray) v.dispose();
      return arrays;
    }
    default:
      throw new MxError("invalid_argument", `[load] Unknown file format ${String(format)}`);
  }
}

function loadNpz(bytes: Uint8Array, label: string): Record<string, MxArray> {
  const out: Record<string, MxArray> = {};
  try {
    for (const [name, member] of readZip(bytes, label)) {
      const key = name.endsWith(".npy") ? name.slice(0, -4) : name;
      out[key] = parseNpy(member, `${label}[${name}]`);
    }
  } catch (e) {
    for (const a of Object.values(out)) a.dispose();
    throw e;
  }
  return out;
}

/** Arrays by name, or a list (named `arr_0`, `arr_1`, ... as in NumPy). */
export type NamedArrays = Record<string, MxArray> | readonly MxArray[];

function named(arrays: NamedArrays, op: string): Record<string, MxArray> {
  const out: Record<string, MxArray> = Array.isArray(arrays)
    ? Object.fromEntries(arrays.map((a, i) => [`arr_${i}`, a]))
    : { ...(arrays as Record<string, MxArray>) };
  for (const [k, v] of Object.entries(out)) {
    if (!(v instanceof MxArray)) throw new MxError("invalid_argument", `[${op}] '${k}' is not an array`);
  }
  return out;
}

function withExtension(path: string, ext: string): string {
  return path.endsWith(ext) ? path : path + ext;
}

function write(path: string, bytes: Uint8Array, op: string): void {
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    throw new MxError("invalid_argument", `[${op}] Failed to open ${path}: ${(e as Error).message}`);
  }
}

/**
 * Saves one array as `.npy` (the extension is appended when missing, as in MLX).
 *
 * @param path The file.
 * @param a The array.
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const path = Deno.makeTempFileSync({ suffix: ".npy" });
 * mx.save(path, mx.arange(3));
 * ```
 */
export function save(path: string, a: MxArray): void {
  if (!(a instanceof MxArray)) throw new MxError("invalid_argument", "[save] expects an array");
  write(withExtension(path, ".npy"), encodeNpy(a), "save");
}

/**
 * Saves arrays into an uncompressed `.npz` (extension appended when missing).
 *
 * @param path The file.
 * @param arrays Arrays by name, or a list (`arr_0`, `arr_1`, ...).
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const path = Deno.makeTempFileSync({ suffix: ".npz" });
 * mx.savez(path, { x: mx.ones([2]) });
 * console.log(Object.keys(mx.load(path, { format: "npz" }))); // [ "x" ]
 * ```
 */
export function savez(path: string, arrays: NamedArrays): void {
  write(withExtension(path, ".npz"), saveBytes("npz", arrays), "savez");
}

/**
 * Saves arrays into a deflate-compressed `.npz` (extension appended when missing).
 *
 * @param path The file.
 * @param arrays Arrays by name, or a list (`arr_0`, `arr_1`, ...).
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const path = Deno.makeTempFileSync({ suffix: ".npz" });
 * mx.savezCompressed(path, [mx.zeros([100])]);
 * ```
 */
export function savezCompressed(path: string, arrays: NamedArrays): void {
  write(withExtension(path, ".npz"), encodeNpz(named(arrays, "savez_compressed"), true), "savez_compressed");
}

/**
 * Saves arrays (every dtype but float64) and string metadata as `.safetensors`.
 *
 * @param path The file (`.safetensors` appended when missing).
 * @param arrays Arrays by name.
 * @param metadata String key/values stored as `__metadata__`.
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const path = Deno.makeTempFileSync({ suffix: ".safetensors" });
 * mx.saveSafetensors(path, { w: mx.ones([2], mx.bfloat16) }, { owner: "me" });
 * ```
 */
export function saveSafetensors(path: string, arrays: Record<string, MxArray>, metadata?: Record<string, string>): void {
  write(withExtension(path, ".safetensors"), saveBytes("safetensors", arrays, metadata), "save_safetensors");
}

/**
 * Saves float32/float16/int8/int16/int32 arrays and metadata as GGUF (version 3).
 *
 * @param path The file (`.gguf` appended when missing).
 * @param arrays Arrays by name.
 * @param metadata Strings, string lists, or 0-d/1-d arrays.
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const path = Deno.makeTempFileSync({ suffix: ".gguf" });
 * mx.saveGguf(path, { w: mx.ones([2, 32]) }, { "general.name": "tiny" });
 * ```
 */
export function saveGguf(path: string, arrays: Record<string, MxArray>, metadata?: Record<string, GgufValue>): void {
  write(withExtension(path, ".gguf"), saveBytes("gguf", arrays, metadata), "save_gguf");
}

/**
 * The bytes of a file in `format`, as the `save*` functions write it (`npz` stored, not
 * compressed).
 *
 * @param format `"npy"` (one array), `"npz"`, `"safetensors"` or `"gguf"`.
 * @param data The array (npy) or arrays.
 * @param metadata safetensors / gguf metadata.
 * @returns The file's bytes.
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.saveBytes("npy", mx.array([1])).byteLength); // 132
 * ```
 */
export function saveBytes(format: "npy", data: MxArray): Uint8Array;
export function saveBytes(format: "npz", data: NamedArrays): Uint8Array;
export function saveBytes(format: "safetensors", data: Record<string, MxArray>, metadata?: Record<string, string>): Uint8Array;
export function saveBytes(format: "gguf", data: Record<string, MxArray>, metadata?: Record<string, GgufValue>): Uint8Array;
export function saveBytes(
  format: LoadFormat,
  data: MxArray | NamedArrays,
  metadata?: Record<string, GgufValue>,
): Uint8Array {
  switch (format) {
    case "npy":
      if (!(data instanceof MxArray)) throw new MxError("invalid_argument", "[save] npy holds one array");
      return encodeNpy(data);
    case "npz":
      return encodeNpz(named(data as NamedArrays, "savez"), false);
    case "safetensors":
      for (const [k, v] of Object.entries(metadata ?? {})) {
        if (typeof v !== "string") throw new MxError("invalid_argument", `[save_safetensors] metadata '${k}' is not a string`);
      }
      return encodeSafetensors(named(data as NamedArrays, "save_safetensors"), metadata as Record<string, string>);
    case "gguf":
      return encodeGguf(named(data as NamedArrays, "save_gguf"), metadata);
    default:
      throw new MxError("invalid_argument", `[save] Unknown file format ${String(format)}`);
  }
}

function encodeNpz(arrays: Record<string, MxArray>, compress: boolean): Uint8Array {
  const members = new Map<string, Uint8Array>();
  for (const [name, a] of Object.entries(arrays)) members.set(`${name}.npy`, encodeNpy(a));
  return writeZip(members, compress);
}
