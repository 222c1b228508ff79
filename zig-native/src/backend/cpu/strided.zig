//! Loops over N operands that share one shape but have their own element strides (0 for a
//! broadcast dimension). Dimensions are collapsed where every operand allows it, so a
//! contiguous or broadcast operand becomes one long row; kernels then run a tight (SIMD)
//! loop per row, never per-element index arithmetic.

const std = @import("std");
const assert = std.debug.assert;
const shape_mod = @import("../../shape.zig");

const ndim_max = shape_mod.ndim_max;

pub fn Loop(comptime operand_count: usize) type {
    return struct {
        const Self = @This();

        /// Collapsed dimensions; the last one is the row.
        ndim: u8,
        dims: [ndim_max]i64,
        strides: [operand_count][ndim_max]i64,
        /// Element offset of each operand's first element from its buffer's start.
        starts: [operand_count]i64,

        /// Strides may be negative (flipped views): offsets are absolute element indices into
        /// each operand's buffer, and every element's index is >= 0.
        pub fn init(
            shape: shape_mod.Shape,
            strides: [operand_count]shape_mod.Strides,
            starts: [operand_count]i64,
        ) Self {
            var self: Self = .{ .ndim = 0, .dims = @splat(1), .strides = undefined, .starts = starts };
            for (&self.strides) |*row| row.* = @splat(0);
            for (0..shape.ndim) |axis| {
                const dim = shape.dims[axis];
                if (dim == 1) continue;
                if (self.ndim > 0 and self.canMerge(strides, axis, dim)) {
                    const last = self.ndim - 1;
                    self.dims[last] *= dim;
                    for (0..operand_count) |op| self.strides[op][last] = strides[op][axis];
                    continue;
                }
                for (0..operand_count) |op| self.strides[op][self.ndim] = strides[op][axis];
                self.dims[self.ndim] = dim;
                self.ndim += 1;
            }
            if (self.ndim == 0) self.ndim = 1; // A scalar (or all-ones shape): one row of one.
            return self;
        }

        /// Axis `axis` (of size `dim`) continues the last collapsed dimension for every
        /// operand: stepping the last one equals stepping `axis` `dim` times.
        fn canMerge(
            self: *const Self,
            strides: [operand_count]shape_mod.Strides,
            axis: usize,
            dim: i64,
        ) bool {
            const last = self.ndim - 1;
            for (0..operand_count) |op| {
                if (self.strides[op][last] != strides[op][axis] * dim) return false;
            }
            return true;
        }

        pub fn rowLength(self: *const Self) i64 {
            return self.dims[self.ndim - 1];
        }

        pub fn rowStride(self: *const Self, operand: usize) i64 {
            return self.strides[operand][self.ndim - 1];
        }

        pub fn rowCount(self: *const Self) i64 {
            var count: i64 = 1;
            for (self.dims[0 .. self.ndim - 1]) |dim| count *= dim;
            return count;
        }

        /// Element offsets, per operand, of the start of row `row_index` (0 <= row_index <
        /// rowCount()), from the start of the operand's buffer.
        pub fn rowOffsets(self: *const Self, row_index: i64) [operand_count]i64 {
            assert(row_index >= 0 and row_index < self.rowCount());
            var offsets: [operand_count]i64 = self.starts;
            var rest = row_index;
            var axis: usize = self.ndim - 1;
            while (axis > 0) {
                axis -= 1;
                const index = @mod(rest, self.dims[axis]);
                rest = @divTrunc(rest, self.dims[axis]);
                for (0..operand_count) |op| offsets[op] += index * self.strides[op][axis];
            }
            return offsets;
        }
    };
}

test "contiguous and broadcast operands collapse to one row" {
    const shape = try shape_mod.Shape.init(&.{ 2, 3, 4 });
    const contiguous = shape_mod.rowMajorStrides(shape);
    const scalar: shape_mod.Strides = @splat(0);
    const loop = Loop(2).init(shape, .{ contiguous, scalar }, .{ 0, 0 });
    try std.testing.expectEqual(@as(u8, 1), loop.ndim);
    try std.testing.expectEqual(@as(i64, 24), loop.rowLength());
    try std.testing.expectEqual(@as(i64, 1), loop.rowCount());
}

test "a transposed operand keeps its own row offsets" {
    const shape = try shape_mod.Shape.init(&.{ 3, 2 });
    var transposed: shape_mod.Strides = @splat(0);
    transposed[0] = 1;
    transposed[1] = 3;
    const loop = Loop(2).init(shape, .{ shape_mod.rowMajorStrides(shape), transposed }, .{ 0, 0 });
    try std.testing.expectEqual(@as(u8, 2), loop.ndim);
    try std.testing.expectEqual(@as(i64, 3), loop.rowCount());
    try std.testing.expectEqual([2]i64{ 4, 2 }, loop.rowOffsets(2));
    try std.testing.expectEqual(@as(i64, 3), loop.rowStride(1));
}

/// The element at absolute index `index` (>= 0) of a buffer that starts at `base`.
pub inline fn at(comptime T: type, base: [*]T, index: i64) *T {
    assert(index >= 0);
    return &base[@intCast(index)];
}

/// A pointer `index` elements into the buffer at `base`.
pub inline fn ptrAt(comptime T: type, base: [*]T, index: i64) [*]T {
    assert(index >= 0);
    return base + @as(usize, @intCast(index));
}
