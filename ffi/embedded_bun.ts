/**
 * Names the host library as a file import, so that `bun build --compile` packs it into the
 * executable. Loaded only under Bun, through a dynamic import that tolerates its absence.
 *
 * @module
 */

// @ts-ignore: a file import (Bun's `type: "file"`) has no type declarations.
import path from "../zig-native/zig-out/lib/libmlxts.so" with { type: "file" };

/** The library's path: on disk when run from source, under `/$bunfs/` when compiled. */
export const embeddedLibraryPath: string = path;
