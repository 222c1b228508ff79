//! Gather and scatter with one int64 index array per axis of the source (broadcast together
//! to the output shape B): gather reads out[b] = x[idx_0[b], ..., idx_k[b]]; scatter writes
//! (or combines) updates[b] into a copy of x at those positions, in order, so repeated
//! indices accumulate (add, multiply, max, min) or the last one wins (assign). Indices wrap
//! once when negative; any index still outside its axis fails the evaluation with an error
//! naming it, instead of reading or writing out of bounds.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../../errors.zig");
const dtype_mod = @import("../../dtype.zig");
const shape_mod = @import("../../shape.zig");
const Array = @import("../../array.zig").Array;
const strided = @import("strided.zig");
const binary_ops = @import("binary_ops.zig");

const DType = dtype_mod.DType;
const Storage = dtype_mod.Storage;
const ndim_max = shape_mod.ndim_max;

pub const ScatterOp = enum(u8) { assign, add, multiply, maximum, minimum };

/// Walks the output positions of B in row-major order, tracking each operand's element
/// offset (operands broadcast to B with their own strides).
fn Walker(comptime operand_max: usize) type {
    return struct {
        const Self = @This();
        shape: shape_mod.Shape,
        count: usize,
        strides: [operand_max]shape_mod.Strides,
        coords: [ndim_max]i32,
        offsets: [operand_max]i64,

        fn init(shape: shape_mod.Shape, count: usize, strides: [operand_max]shape_mod.Strides, starts: [operand_max]i64) Self {
            return .{ .shape = shape, .count = count, .strides = strides, .coords = @splat(0), .offsets = starts };
        }

        fn next(self: *Self) void {
            var axis: usize = self.shape.ndim;
            while (axis > 0) {
                axis -= 1;
                self.coords[axis] += 1;
                for (0..self.count) |k| self.offsets[k] += self.strides[k][axis];
                if (self.coords[axis] < self.shape.dims[axis]) return;
                for (0..self.count) |k| self.offsets[k] -= self.strides[k][axis] * self.shape.dims[axis];
                self.coords[axis] = 0;
            }
        }
    };
}

/// The source offset for the current position, or an error naming the bad index.
fn sourceOffset(
    op_name: []const u8,
    x: *const Array,
    indices: []const *Array,
    offsets: []const i64,
) errors.Error!i64 {
    var offset = x.offset;
    for (indices, 0..) |index_array, axis| {
        const raw = strided.at(i64, index_array.basePtr(i64), offsets[axis]).*;
        const dim: i64 = x.shape.dims[axis];
        const index = if (raw < 0) raw + dim else raw;
        if (index < 0 or index >= dim) {
            return errors.fail(error.InvalidArgument, "[{s}] index {d} is out of bounds for axis " ++
                "{d} with size {d}", .{ op_name, raw, axis, dim });
        }
        offset += index * x.strides[axis];
    }
    return offset;
}

/// out[b] = x[indices...[b]] for every b of out's shape.
pub fn gather(out: *Array, x: *const Array, indices: []const *Array) errors.Error!void {
    assert(indices.len == x.shape.ndim);
    assert(out.isRowContiguous() and out.dtype == x.dtype);
    const total: usize = @intCast(out.shape.size());
    if (total == 0) return;
    var strides: [ndim_max]shape_mod.Strides = undefined;
    var starts: [ndim_max]i64 = undefined;
    for (indices, 0..) |index_array, k| {
        assert(index_array.dtype == .int64);
        strides[k] = shape_mod.broadcastStrides(index_array.shape, index_array.strides, out.shape);
        starts[k] = index_array.offset;
    }
    var walker = Walker(ndim_max).init(out.shape, indices.len, strides, starts);
    switch (out.dtype.sizeBytes()) {
        inline 1, 2, 4, 8 => |size| {
            const T = std.meta.Int(.unsigned, size * 8);
            const source = x.basePtr(T);
            const target = out.dataPtr(T);
            for (0..total) |b| {
                const offset = try sourceOffset("gather", x, indices, walker.offsets[0..indices.len]);
                target[b] = strided.at(T, source, offset).*;
                walker.next();
            }
        },
        else => unreachable,
    }
}

/// out = x, then out[indices...[b]] op= updates[b] for every b of the index shape, in order.
pub fn scatter(
    op: ScatterOp,
    out: *Array,
    index_shape: shape_mod.Shape,
    indices: []const *Array,
    updates: *const Array,
) errors.Error!void {
    assert(out.isRowContiguous() and out.dtype == updates.dtype);
    assert(indices.len == out.shape.ndim);
    const total: usize = @intCast(index_shape.size());
    if (total == 0) return;
    var strides: [ndim_max + 1]shape_mod.Strides = undefined;
    var starts: [ndim_max + 1]i64 = undefined;
    for (indices, 0..) |index_array, k| {
        strides[k] = shape_mod.broadcastStrides(index_array.shape, index_array.strides, index_shape);
        starts[k] = index_array.offset;
    }
    const u = indices.len;
    strides[u] = shape_mod.broadcastStrides(updates.shape, updates.strides, index_shape);
    starts[u] = updates.offset;
    var walker = Walker(ndim_max + 1).init(index_shape, u + 1, strides, starts);
    switch (out.dtype) {
        inline else => |dtype| {
            const T = Storage(dtype);
            const target = out.basePtr(T);
            const source = updates.basePtr(T);
            for (0..total) |_| {
                const offset = try sourceOffset("scatter", out, indices, walker.offsets[0..u]);
                const slot = strided.at(T, target, offset);
                const value = strided.at(T, source, walker.offsets[u]).*;
                slot.* = combine(op, dtype, slot.*, value);
                walker.next();
            }
        },
    }
}

fn combine(op: ScatterOp, comptime dtype: DType, old: Storage(dtype), new: Storage(dtype)) Storage(dtype) {
    return switch (op) {
        .assign => new,
        .add => binary_ops.apply(.add, dtype, dtype, old, new),
        .multiply => binary_ops.apply(.multiply, dtype, dtype, old, new),
        .maximum => binary_ops.apply(.maximum, dtype, dtype, old, new),
        .minimum => binary_ops.apply(.minimum, dtype, dtype, old, new),
    };
}
