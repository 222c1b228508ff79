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
        return initStrided(input.shape, axis, .{ out_strides, input.strides }, .{ out_offset, input.offset });
    }

    /// Lines along `axis` of `shape` for two operands (output, input) given by their strides
    /// and start offsets; `length` and `stride` are the input's.
    pub fn initStrided(
        shape: shape_mod.Shape,
        axis: u8,
        strides: [2]shape_mod.Strides,
        offsets: [2]i64,
    ) Lines {
        assert(axis < shape.ndim);
        var others: shape_mod.Shape = .{};
        var in_strides: shape_mod.Strides = @splat(0);
        var o_strides: shape_mod.Strides = @splat(0);
        for (0..shape.ndim) |i| {
            if (i == axis) continue;
            others.dims[others.ndim] = shape.dims[i];
            in_strides[others.ndim] = strides[1][i];
            o_strides[others.ndim] = strides[0][i];
            others.ndim += 1;
        }
        return .{
            .loop = strided.Loop(2).init(others, .{ o_strides, in_strides }, offsets),
            .length = shape.dims[axis],
            .stride = strides[1][axis],
            .out_stride = strides[0][axis],
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
