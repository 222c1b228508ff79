/**
 * Reading dataset files: whole-file reads (gzip detected by its magic bytes and inflated
 * natively by `node:zlib`, which Deno and Bun both provide) with a size bound, and the
 * `MxError` every reader raises for a file it cannot use.
 *
 * @module
 */

import { readFileSync, statSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { MxError, type MxErrorCode } from "../errors.ts";

/** Largest file (after inflating) a reader accepts by default: 2 GiB. */
export const fileBytesMax = 2 ** 31;

/** An `MxError` naming the reader and the file. */
export function fileError(op: string, path: string, message: string, code: MxErrorCode = "invalid_argument"): MxError {
  return new MxError(code, `[${op}] ${path}: ${message}`);
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * The bytes of `path`, inflated when the file is gzipped (by content, not by name). A missing
 * or unreadable file, a corrupt gzip stream, and more than `bytesMax` bytes raise `MxError`.
 */
export function readFileBytes(op: string, path: string, bytesMax: number = fileBytesMax): Uint8Array {
  let raw: Uint8Array;
  try {
    const size = statSync(path).size;
    if (size > bytesMax) {
      throw fileError(op, path, `the file has ${size} bytes, more than the ${bytesMax} allowed`, "limit_exceeded");
    }
    raw = readFileSync(path);
  } catch (error) {
    if (error instanceof MxError) throw error;
    throw fileError(op, path, `cannot read the file (${(error as Error).message})`);
  }
  if (!isGzip(raw)) return raw;
  try {
    return gunzipSync(raw, { maxOutputLength: bytesMax });
  } catch (error) {
    const tooBig = (error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" ||
      error instanceof RangeError;
    if (tooBig) {
      throw fileError(op, path, `inflates to more than the ${bytesMax} bytes allowed`, "limit_exceeded");
    }
    throw fileError(op, path, `corrupt gzip data (${(error as Error).message})`);
  }
}
