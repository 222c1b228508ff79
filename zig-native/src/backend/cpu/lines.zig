//! Lines along one axis: the input cut into 1-D lines along `axis`, each addressed by its
//! start offsets (output, input) and walked with the axis's strides. Lines are independent,
//! so kernels that run along an axis (arg-reductions, scans, sorts) split them across the
//! thread pool.

const std = @import("std");
const assert = std.debug.assert;
const shape_mod = @import("../../shape.zig");
const Array = @import("../../array.zig").Array;
const strided = @import("strided.zig");
const simd = @import("simd.zig");

/// Lines along `axis`: a loop over the other axes (for the input and, when `out_strides` is
/// given, the output), and the axis's length and input stride.
pub const Lines = struct {
    loop: strided.Loop(2),
    length: i64,
    stride: i64,
    out_stride: i64,

    pub fn init(input: *const Array, axis: u8, out_strides: shape_mod.Strides, out_offset: i64) Lines {
        assert(axis < input.shape.ndim);
        var shape: shape_mod.Shape = .{};
        var in_strides: shape_mod.Strides = @splat(0);
        var o_strides: shape_mod.Strides = @splat(0);
        for (0..input.shape.ndim) |i| {
            if (i == axis) continue;
            shape.dims[shape.ndim] = input.shape.dims[i];
            in_strides[shape.ndim] = input.strides[i];
            o_strides[shape.ndim] = out_strides[i];
            shape.ndim += 1;
        }
        return .{
            .loop = strided.Loop(2).init(shape, .{ o_strides, in_strides }, .{ out_offset, input.offset }),
            .length = input.shape.dims[axis],
            .stride = input.strides[axis],
            .out_stride = out_strides[axis],
        };
    }

    pub fn count(self: *const Lines) usize {
        return @intCast(self.loop.rowCount() * self.loop.rowLength());
    }

    /// Start offsets (output, input) of line `index`.
    pub fn starts(self: *const Lines, index: usize) [2]i64 {
        assert(index < self.count());
        const row_length: usize = @intCast(self.loop.rowLength());
        const offsets = self.loop.rowOffsets(@intCast(index / row_length));
        const column: i64 = @intCast(index % row_length);
        return .{
            offsets[0] + column * self.loop.rowStride(0),
            offsets[1] + column * self.loop.rowStride(1),
        };
    }

    /// Lines per parallel chunk: enough that a chunk holds about `parallel_grain_elements`.
    pub fn grain(self: *const Lines) usize {
        return @max(1, simd.parallel_grain_elements / @as(usize, @intCast(@max(self.length, 1))));
    }
};
