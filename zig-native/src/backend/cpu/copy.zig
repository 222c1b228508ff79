//! Copy kernels: strided (or broadcast) input to a row-major output, converting the dtype on
//! the way (`astype`).

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

fn Kernel(comptime in_dtype: DType, comptime out_dtype: DType) type {
    const In = Storage(in_dtype);
    const Out = Storage(out_dtype);
    return struct {
        loop: strided.Loop(2),
        input: [*]const In,
        out: [*]Out,

        fn runRange(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const @This() = @ptrCast(@alignCast(context));
            const row_length: usize = @intCast(self.loop.rowLength());
            const stride = self.loop.rowStride(1);
            var index = start;
            while (index < end) {
                const row = index / row_length;
                const column = index % row_length;
                const count = @min(row_length - column, end - index);
                const offsets = self.loop.rowOffsets(@intCast(row));
                const col: i64 = @intCast(column);
                const out = strided.ptrAt(Out, self.out, offsets[0] + col)[0..count];
                const first = offsets[1] + col * stride;
                if (in_dtype == out_dtype and stride == 1) {
                    @memcpy(out, strided.ptrAt(In, @constCast(self.input), first)[0..count]);
                } else {
                    for (out, 0..) |*slot, i| {
                        const at = first + @as(i64, @intCast(i)) * stride;
                        const element = strided.at(In, @constCast(self.input), at).*;
                        slot.* = cast.convert(out_dtype, in_dtype, element);
                    }
                }
                index += count;
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
                runLoop(in_dtype, out_dtype, loop, out, input);
            },
        },
    }
}

fn runTyped(comptime in_dtype: DType, comptime out_dtype: DType, out: *Array, input: *const Array) void {
    const loop = strided.Loop(2).init(out.shape, .{
        out.strides,
        shape_mod.broadcastStrides(input.shape, input.strides, out.shape),
    }, .{ out.offset, input.offset });
    runLoop(in_dtype, out_dtype, loop, out, input);
}

fn runLoop(
    comptime in_dtype: DType,
    comptime out_dtype: DType,
    loop: strided.Loop(2),
    out: *Array,
    input: *const Array,
) void {
    const total: usize = @intCast(out.shape.size());
    if (total == 0) return;
    const K = Kernel(in_dtype, out_dtype);
    const kernel: K = .{
        .loop = loop,
        .input = input.basePtr(Storage(in_dtype)),
        .out = out.basePtr(Storage(out_dtype)),
    };
    pool.parallelFor(total, simd.parallel_grain_elements, &kernel, K.runRange);
}
