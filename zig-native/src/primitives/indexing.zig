//! Gather and scatter: the primitives behind take, takeAlongAxis, putAlongAxis, indexing with
//! integer arrays, and indexed updates. Each takes one index array per source axis.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const shape_mod = @import("../shape.zig");
const dtype_mod = @import("../dtype.zig");
const memory = @import("../memory.zig");
const Array = @import("../array.zig").Array;
const astype = @import("astype.zig");
const cpu_copy = @import("../backend/cpu/copy.zig");
const cpu_indexing = @import("../backend/cpu/indexing.zig");

pub const ScatterOp = cpu_indexing.ScatterOp;

/// Checks the index arrays (one integer array per axis of `x`), broadcasts their shapes, and
/// converts them to int64 into `converted` (references the caller releases).
fn prepareIndices(
    op: []const u8,
    x: *const Array,
    indices: []const *Array,
    converted: []*Array,
) errors.Error!shape_mod.Shape {
    if (indices.len != x.shape.ndim) {
        return errors.fail(error.InvalidArgument, "[{s}] {d} index arrays given for an array of " ++
            "shape {f}; one per axis is needed", .{ op, indices.len, x.shape });
    }
    var shape: shape_mod.Shape = .{};
    for (indices) |index_array| {
        if (!index_array.dtype.isInteger()) {
            return errors.fail(error.DTypeMismatch, "[{s}] indices must be integers, got {s}", .{
                op, index_array.dtype.name(),
            });
        }
        shape = try shape_mod.broadcast(op, shape, index_array.shape);
    }
    for (indices, 0..) |index_array, k| {
        errdefer for (converted[0..k]) |c| c.release();
        converted[k] = try astype.create(index_array, .int64);
    }
    return shape;
}

/// Records out[b] = x[indices[0][b], ..., indices[n-1][b]], out's shape the indices' broadcast.
pub fn createGather(x: *Array, indices: []const *Array) errors.Error!*Array {
    var converted: [shape_mod.ndim_max]*Array = undefined;
    const shape = try prepareIndices("gather", x, indices, &converted);
    const n = indices.len;
    defer for (converted[0..n]) |c| c.release();
    if (x.shape.size() == 0 and shape.size() > 0) {
        return errors.fail(error.InvalidArgument, "[gather] cannot index into an empty array of " ++
            "shape {f}", .{x.shape});
    }
    var inputs: [shape_mod.ndim_max + 1]*Array = undefined;
    inputs[0] = x;
    @memcpy(inputs[1 .. n + 1], converted[0..n]);
    return Array.createLazy(x.dtype, shape, .gather, inputs[0 .. n + 1]);
}

pub fn evalGather(out: *Array) errors.Error!void {
    try out.allocateOutput();
    try cpu_indexing.gather(out, out.inputs[0], out.inputs[1..]);
}

pub const ScatterParams = struct { op: ScatterOp };

/// Records a copy of `x` with updates[b] written to (or combined into) the positions the
/// indices give, in order. Updates convert to x's dtype and must broadcast to the indices'
/// broadcast shape.
pub fn createScatter(op: ScatterOp, x: *Array, indices: []const *Array, updates: *Array) errors.Error!*Array {
    var converted: [shape_mod.ndim_max]*Array = undefined;
    const shape = try prepareIndices("scatter", x, indices, &converted);
    const n = indices.len;
    defer for (converted[0..n]) |c| c.release();
    const combined = shape_mod.broadcast("scatter", updates.shape, shape) catch {
        return errors.fail(error.ShapeMismatch, "[scatter] updates of shape {f} do not broadcast " ++
            "to the indexed shape {f}", .{ updates.shape, shape });
    };
    if (!combined.eql(shape)) {
        return errors.fail(error.ShapeMismatch, "[scatter] updates of shape {f} do not broadcast " ++
            "to the indexed shape {f}", .{ updates.shape, shape });
    }
    const values = try astype.create(updates, x.dtype);
    defer values.release();
    var inputs: [shape_mod.ndim_max + 2]*Array = undefined;
    inputs[0] = x;
    inputs[1] = values;
    @memcpy(inputs[2 .. n + 2], converted[0..n]);
    return Array.createLazy(x.dtype, x.shape, .{ .scatter = .{ .op = op } }, inputs[0 .. n + 2]);
}

pub fn evalScatter(params: ScatterParams, out: *Array) errors.Error!void {
    const x = out.inputs[0];
    const updates = out.inputs[1];
    const indices = out.inputs[2..];
    try out.allocateOutput();
    cpu_copy.run(out, x);
    var shape: shape_mod.Shape = .{};
    for (indices) |index_array| shape = shape_mod.broadcast("scatter", shape, index_array.shape) catch unreachable;
    try cpu_indexing.scatter(params.op, out, shape, indices, updates);
}

comptime {
    _ = memory;
    _ = dtype_mod;
}
