//! Gather and scatter: the primitives behind take, takeAlongAxis, putAlongAxis, indexing with
//! integer arrays, and indexed updates. Each takes one index array per source axis. And
//! slice_update, a copy with one strided block replaced (MLX's SliceUpdate; the derivative of
//! slice). Their derivative rules are here too.

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
const view = @import("view.zig");
const binary = @import("binary.zig");
const ternary = @import("ternary.zig");
const grad_ops = @import("../transforms/grad_ops.zig");

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

/// Records a copy of `x` whose strided block `params` (starts and steps per axis; the block has
/// `update`'s shape and lies inside `x`) holds `update`, converted to x's dtype.
pub fn createSliceUpdate(x: *Array, update: *Array, params: view.SliceParams) errors.Error!*Array {
    const ndim = x.shape.ndim;
    if (update.shape.ndim != ndim) {
        return errors.fail(error.ShapeMismatch, "[slice_update] an update of shape {f} for an " ++
            "array of shape {f}: the dimensions must match", .{ update.shape, x.shape });
    }
    const starts = params.start[0..ndim];
    const steps = params.step[0..ndim];
    const checked = try view.checkSlice("slice_update", x.shape, starts, update.shape.slice(), steps);
    const values = try astype.create(update, x.dtype);
    defer values.release();
    return Array.createLazy(x.dtype, x.shape, .{ .slice_update = checked }, &.{ x, values });
}

pub fn evalSliceUpdate(params: view.SliceParams, out: *Array) errors.Error!void {
    const x = out.inputs[0];
    const update = out.inputs[1];
    // A source nothing else holds is updated in place (a KV cache written token by token).
    if (!try out.allocateOutputDonatedFrom(0)) cpu_copy.run(out, x);
    if (update.shape.size() == 0) return;
    var region_offset = out.offset;
    var region_strides: shape_mod.Strides = @splat(0);
    for (0..out.shape.ndim) |axis| {
        region_offset += @as(i64, params.start[axis]) * out.strides[axis];
        region_strides[axis] = out.strides[axis] * params.step[axis];
    }
    cpu_copy.runStridedRegion(out, region_offset, region_strides, update);
}

/// vjp of gather: the cotangent added into zeros of the source at the gathered positions
/// (repeated indices accumulate); the indices get no gradient.
pub fn vjpGather(node: *Array, cotangent: *Array, argnum: usize) errors.Error!?*Array {
    if (argnum != 0) return null;
    const zeros = try grad_ops.zerosLike(node.inputs[0]);
    defer zeros.release();
    return try createScatter(.add, zeros, node.inputs[1..], cotangent);
}

/// vjp of scatter (MLX's rules): inputs are the source, the updates (in the source's dtype)
/// and the indices, which get no gradient. assign: the source's gradient is the cotangent with
/// zeros where updates were written; add: the cotangent; maximum/minimum: the cotangent where
/// the source's value survived. The updates get the cotangent gathered at their positions
/// (maximum/minimum: where they are the result), summed back over broadcast axes. multiply
/// has no rule, as in MLX.
pub fn vjpScatter(
    params: ScatterParams,
    node: *Array,
    cotangent: *Array,
    argnum: usize,
) errors.Error!?*Array {
    if (argnum >= 2) return null;
    if (params.op == .multiply) {
        return errors.fail(error.Unsupported, "[vjp] the derivative of scatter with multiply " ++
            "(at(...).multiply) is not implemented, as in MLX", .{});
    }
    const x = node.inputs[0];
    const updates = node.inputs[1];
    const indices = node.inputs[2..];
    if (argnum == 0) {
        switch (params.op) {
            .assign => {
                const zeros = try grad_ops.zerosLike(updates);
                defer zeros.release();
                return try createScatter(.assign, cotangent, indices, zeros);
            },
            .add => {
                cotangent.retain();
                return cotangent;
            },
            .maximum, .minimum => return try whereElseZero(node, x, cotangent),
            .multiply => unreachable,
        }
    }
    const gathered = try createGather(cotangent, indices);
    defer gathered.release();
    const masked = switch (params.op) {
        .assign, .add => blk: {
            gathered.retain();
            break :blk gathered;
        },
        .maximum, .minimum => blk: {
            const result = try createGather(node, indices);
            defer result.release();
            break :blk try whereElseZero(result, updates, gathered);
        },
        .multiply => unreachable,
    };
    defer masked.release();
    return try grad_ops.unbroadcast(masked, updates.shape);
}

/// `cotangent` where `a == b`, else 0.
fn whereElseZero(a: *Array, b: *Array, cotangent: *Array) errors.Error!*Array {
    const same = try binary.create(.equal, a, b);
    defer same.release();
    const zero = try grad_ops.scalar(0, cotangent.dtype);
    defer zero.release();
    return ternary.createWhere(same, cotangent, zero);
}

/// vjp of slice_update: the source gets the cotangent with zeros in the block, the update the
/// cotangent's block.
pub fn vjpSliceUpdate(
    params: view.SliceParams,
    node: *Array,
    cotangent: *Array,
    argnum: usize,
) errors.Error!*Array {
    const update = node.inputs[1];
    if (argnum == 0) {
        const zeros = try grad_ops.zerosLike(update);
        defer zeros.release();
        return createSliceUpdate(cotangent, zeros, params);
    }
    assert(argnum == 1);
    const ndim = node.shape.ndim;
    return view.createSlice(cotangent, params.start[0..ndim], update.shape.slice(), params.step[0..ndim]);
}

comptime {
    _ = memory;
    _ = dtype_mod;
}

const graph = @import("../graph.zig");

fn testArray(values: []const f32, dims: []const i32) !*Array {
    const shape = try shape_mod.Shape.init(dims);
    return Array.createFromBytes(.float32, shape, std.mem.sliceAsBytes(values));
}

test "slice_update writes a block with negative steps into a transposed source" {
    const base = try testArray(&.{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 }, &.{ 4, 3 });
    defer base.release();
    const x = try view.createTranspose(base, &.{}); // [[0,3,6,9],[1,4,7,10],[2,5,8,11]]
    defer x.release();
    const update = try testArray(&.{ -1, -2, -3, -4 }, &.{ 2, 2 });
    defer update.release();
    // Rows 2 and 0 (step -2), columns 3 and 1 (step -2).
    const params: view.SliceParams = .{
        .start = .{ 2, 3 } ++ @as([shape_mod.ndim_max - 2]i32, @splat(0)),
        .step = .{ -2, -2 } ++ @as([shape_mod.ndim_max - 2]i32, @splat(1)),
    };
    const out = try createSliceUpdate(x, update, params);
    defer out.release();
    // Its derivative (recorded before `out` evaluates and detaches), with `out` as the
    // cotangent: the source gets the cotangent with the block zeroed, the update the block.
    const to_source = try vjpSliceUpdate(params, out, out, 0);
    defer to_source.release();
    const to_update = try vjpSliceUpdate(params, out, out, 1);
    defer to_update.release();
    try graph.eval(&.{ out, to_source, to_update });
    const want = [_]f32{ 0, -4, 6, -3, 1, 4, 7, 10, 2, -2, 8, -1 };
    try std.testing.expectEqualSlices(f32, &want, out.dataPtr(f32)[0..12]);
    const zeroed = [_]f32{ 0, 0, 6, 0, 1, 4, 7, 10, 2, 0, 8, 0 };
    try std.testing.expectEqualSlices(f32, &zeroed, to_source.dataPtr(f32)[0..12]);
    const copy = try astype.createCopy(to_update);
    defer copy.release();
    try graph.eval(&.{copy});
    try std.testing.expectEqualSlices(f32, &.{ -1, -2, -3, -4 }, copy.dataPtr(f32)[0..4]);
}

test "slice_update errors name the op and the shapes" {
    const x = try testArray(&.{ 0, 1, 2, 3, 4, 5 }, &.{ 2, 3 });
    defer x.release();
    const update = try testArray(&.{ 1, 2 }, &.{ 1, 2 });
    defer update.release();
    var params: view.SliceParams = .{ .start = @splat(0), .step = @splat(1) };
    params.start[1] = 2;
    try std.testing.expectError(error.InvalidArgument, createSliceUpdate(x, update, params));
    try std.testing.expectEqualStrings("[slice_update] start 2, size 2, step 1 reaches outside " ++
        "axis 1 of shape [2,3]", errors.message());
    const flat = try testArray(&.{ 1, 2 }, &.{2});
    defer flat.release();
    try std.testing.expectError(error.ShapeMismatch, createSliceUpdate(x, flat, params));
    try std.testing.expectEqualStrings("[slice_update] an update of shape [2] for an array of " ++
        "shape [2,3]: the dimensions must match", errors.message());
}
