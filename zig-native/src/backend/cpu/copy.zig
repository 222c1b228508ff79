//! Copy kernels: strided (or broadcast) input to a row-major output, converting the dtype on
//! the way (`astype`), or into a strided region of a larger output (`concatenate`).

const std = @import("std");
const assert = std.debug.assert;
const dtype_mod = @import("../../dtype.zig");
const shape_mod = @import("../../shape.zig");
const Array = @import("../../array.zig").Array;
const strided = @import("strided.zig");
const pool = @import("pool.zig");
const simd = @import("simd.zig");
const cast = @import("cast.zig");

const DType = dtype_mod.DType;
const Storage = dtype_mod.Storage;

fn isF32OrHalf(dtype: DType) bool {
    return dtype == .float32 or dtype == .float16 or dtype == .bfloat16;
}

fn Kernel(comptime in_dtype: DType, comptime out_dtype: DType) type {
    const In = Storage(in_dtype);
    const Out = Storage(out_dtype);
    return struct {
        loop: strided.Loop(2),
        input: [*]const In,
        out: [*]Out,

        /// A conversion between two of float32, float16 and bfloat16.
        const floating_pair = in_dtype != out_dtype and isF32OrHalf(in_dtype) and isF32OrHalf(out_dtype);
        const lanes = 16;

        fn runRange(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const @This() = @ptrCast(@alignCast(context));
            const row_length: usize = @intCast(self.loop.rowLength());
            const out_stride = self.loop.rowStride(0);
            const stride = self.loop.rowStride(1);
            var index = start;
            while (index < end) {
                const row = index / row_length;
                const column = index % row_length;
                const count = @min(row_length - column, end - index);
                const offsets = self.loop.rowOffsets(@intCast(row));
                const col: i64 = @intCast(column);
                const first = offsets[1] + col * stride;
                if (out_stride != 1) {
                    const out_first = offsets[0] + col * out_stride;
                    self.stridedRow(out_first, out_stride, first, stride, count);
                } else if (in_dtype == out_dtype and stride == 1) {
                    const out = strided.ptrAt(Out, self.out, offsets[0] + col)[0..count];
                    @memcpy(out, strided.ptrAt(In, @constCast(self.input), first)[0..count]);
                } else if (floating_pair and stride == 1) {
                    // Float to float through f32 vectors (the scalar loop's bfloat16 rounding
                    // does not vectorize): simd's conversions round as cast.convert does.
                    const out = strided.ptrAt(Out, self.out, offsets[0] + col);
                    const in = strided.ptrAt(In, @constCast(self.input), first);
                    var i: usize = 0;
                    while (i + lanes <= count) : (i += lanes) {
                        simd.storeF32(Out, lanes, out + i, simd.loadF32(In, lanes, in + i));
                    }
                    for (i..count) |tail| out[tail] = cast.convert(out_dtype, in_dtype, in[tail]);
                } else if (stride == 1) {
                    // Contiguous: a plain loop LLVM vectorizes (bool and integer to float).
                    const out = strided.ptrAt(Out, self.out, offsets[0] + col)[0..count];
                    const in = strided.ptrAt(In, @constCast(self.input), first)[0..count];
                    for (out, in) |*slot, element| slot.* = cast.convert(out_dtype, in_dtype, element);
                } else if (stride == 0) {
                    const out = strided.ptrAt(Out, self.out, offsets[0] + col)[0..count];
                    const element = strided.at(In, @constCast(self.input), first).*;
                    @memset(out, cast.convert(out_dtype, in_dtype, element));
                } else {
                    const out = strided.ptrAt(Out, self.out, offsets[0] + col)[0..count];
                    for (out, 0..) |*slot, i| {
                        const at = first + @as(i64, @intCast(i)) * stride;
                        const element = strided.at(In, @constCast(self.input), at).*;
                        slot.* = cast.convert(out_dtype, in_dtype, element);
                    }
                }
                index += count;
            }
        }

        /// Rows and columns of one transposed tile (16 and 64 measured slower).
        const tile = 32;

        /// Bands of `tile` rows of every plane of a transpose.
        fn transposeBands(loop: *const strided.Loop(2)) usize {
            const plane_rows = loop.dims[loop.ndim - 2];
            const planes = @divExact(loop.rowCount(), plane_rows);
            return @intCast(planes * (std.math.divCeil(i64, plane_rows, tile) catch unreachable));
        }

        /// Whether the loop is a transpose worth tiling (`runTransposed`).
        fn isTranspose(loop: *const strided.Loop(2)) bool {
            if (loop.ndim < 2 or loop.rowLength() < tile or loop.dims[loop.ndim - 2] < tile) return false;
            return loop.rowStride(0) == 1 and loop.strides[1][loop.ndim - 2] == 1 and
                loop.rowStride(1) != 1;
        }

        /// The copy of a transpose: output rows contiguous, the input strided along them but
        /// contiguous down the columns. Row by row, every output row would touch a new cache
        /// line of the input per element; tiles of `tile` x `tile` keep the lines they read in
        /// L1. The units are bands of `tile` rows (`transposeBands`).
        fn runTransposed(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const @This() = @ptrCast(@alignCast(context));
            const loop = &self.loop;
            assert(isTranspose(loop));
            const plane_rows: usize = @intCast(loop.dims[loop.ndim - 2]);
            const columns: usize = @intCast(loop.rowLength());
            const out_row_stride = loop.strides[0][loop.ndim - 2];
            const in_column_stride = loop.rowStride(1);
            const bands = std.math.divCeil(usize, plane_rows, tile) catch unreachable;
            const input = @constCast(self.input);
            for (start..end) |band| {
                const row0 = (band % bands) * tile;
                const rows = @min(tile, plane_rows - row0);
                const offsets = loop.rowOffsets(@intCast((band / bands) * plane_rows + row0));
                var column0: usize = 0;
                while (column0 < columns) : (column0 += tile) {
                    const count = @min(tile, columns - column0);
                    const column0_i: i64 = @intCast(column0);
                    for (0..rows) |r| {
                        const r_i: i64 = @intCast(r);
                        const out_row = strided.ptrAt(Out, self.out, offsets[0] + r_i * out_row_stride + column0_i);
                        const in_first = offsets[1] + r_i + column0_i * in_column_stride;
                        for (out_row[0..count], 0..) |*slot, c| {
                            const element = strided.at(In, input, in_first + @as(i64, @intCast(c)) * in_column_stride).*;
                            slot.* = cast.convert(out_dtype, in_dtype, element);
                        }
                    }
                }
            }
        }

        /// The reference path: `count` elements, each operand with its own row stride (an
        /// output region whose rows are not contiguous, e.g. a column block of a matrix).
        fn stridedRow(
            self: *const @This(),
            out_first: i64,
            out_stride: i64,
            in_first: i64,
            in_stride: i64,
            count: usize,
        ) void {
            for (0..count) |i| {
                const step: i64 = @intCast(i);
                const input = @constCast(self.input);
                const element = strided.at(In, input, in_first + step * in_stride).*;
                const slot = strided.at(Out, self.out, out_first + step * out_stride);
                slot.* = cast.convert(out_dtype, in_dtype, element);
            }
        }
    };
}

/// Writes `input`, broadcast to `out.shape` and converted to `out.dtype`, into `out`
/// (allocated row-major).
pub fn run(out: *Array, input: *const Array) void {
    assert(out.isRowContiguous());
    switch (input.dtype) {
        inline else => |in_dtype| switch (out.dtype) {
            inline else => |out_dtype| runTyped(in_dtype, out_dtype, out, input),
        },
    }
}

/// Writes the elements of `input` in its own row-major order into `out` (allocated
/// row-major, same element count, any shape): the copy behind a reshape of a strided view.
pub fn runFlat(out: *Array, input: *const Array) void {
    assert(out.isRowContiguous());
    assert(out.shape.size() == input.shape.size());
    switch (input.dtype) {
        inline else => |in_dtype| switch (out.dtype) {
            inline else => |out_dtype| {
                const loop = strided.Loop(2).init(input.shape, .{
                    shape_mod.rowMajorStrides(input.shape),
                    input.strides,
                }, .{ out.offset, input.offset });
                runLoop(in_dtype, out_dtype, loop, out.shape.size(), out, input);
            },
        },
    }
}

/// Writes `input` (any layout), converted to `out.dtype`, into the region of `out` that starts
/// `region_offset` elements into out's buffer and has input's shape and out's strides: the
/// copy behind concatenate. `out` is allocated and the region lies inside it.
pub fn runRegion(out: *Array, region_offset: i64, input: *const Array) void {
    assert(input.shape.ndim == out.shape.ndim);
    for (input.shape.slice(), out.shape.slice()) |dim, out_dim| assert(dim <= out_dim);
    assert(region_offset >= out.offset);
    runStridedRegion(out, region_offset, out.strides, input);
}

/// Writes `input` (any layout), converted to `out.dtype`, into the region of out's buffer
/// with input's shape that starts `region_offset` elements in and steps by `region_strides`
/// (any sign): the copy behind slice_update. Every position of the region lies inside `out`.
pub fn runStridedRegion(
    out: *Array,
    region_offset: i64,
    region_strides: shape_mod.Strides,
    input: *const Array,
) void {
    assert(out.isEvaluated());
    assert(region_offset >= 0);
    switch (input.dtype) {
        inline else => |in_dtype| switch (out.dtype) {
            inline else => |out_dtype| {
                const loop = strided.Loop(2).init(input.shape, .{ region_strides, input.strides }, .{
                    region_offset,
                    input.offset,
                });
                runLoop(in_dtype, out_dtype, loop, input.shape.size(), out, input);
            },
        },
    }
}

fn runTyped(comptime in_dtype: DType, comptime out_dtype: DType, out: *Array, input: *const Array) void {
    const loop = strided.Loop(2).init(out.shape, .{
        out.strides,
        shape_mod.broadcastStrides(input.shape, input.strides, out.shape),
    }, .{ out.offset, input.offset });
    runLoop(in_dtype, out_dtype, loop, out.shape.size(), out, input);
}

/// Runs the copy over `element_count` elements of `loop` (the loop's shape) on the pool.
fn runLoop(
    comptime in_dtype: DType,
    comptime out_dtype: DType,
    loop: strided.Loop(2),
    element_count: i64,
    out: *Array,
    input: *const Array,
) void {
    const total: usize = @intCast(element_count);
    if (total == 0) return;
    const K = Kernel(in_dtype, out_dtype);
    const kernel: K = .{
        .loop = loop,
        .input = input.basePtr(Storage(in_dtype)),
        .out = out.basePtr(Storage(out_dtype)),
    };
    if (K.isTranspose(&loop)) {
        const band_elements = K.tile * @as(usize, @intCast(loop.rowLength()));
        pool.parallelFor(K.transposeBands(&loop), @max(1, simd.parallel_grain_elements / band_elements), &kernel, K.runTransposed);
        return;
    }
    pool.parallelFor(total, simd.parallel_grain_elements, &kernel, K.runRange);
}
