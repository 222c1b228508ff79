//! View primitives: outputs that share their input's buffer with new shape, strides and
//! offset, computing nothing: transpose, broadcast_to, slice, and reshape (which copies only
//! when its input is a strided view whose layout cannot be reshaped in place).

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const shape_mod = @import("../shape.zig");
const Array = @import("../array.zig").Array;
const cpu_copy = @import("../backend/cpu/copy.zig");
const indexing = @import("indexing.zig");
const grad_ops = @import("../transforms/grad_ops.zig");

const ndim_max = shape_mod.ndim_max;

pub const Permutation = struct {
    /// Output axis i is input axis axes[i].
    axes: [ndim_max]u8,
};

/// Per axis: the first element taken and the step between taken elements.
pub const SliceParams = struct {
    start: [ndim_max]i32,
    step: [ndim_max]i32,
};

/// Records `input` with its axes permuted; `axes` empty reverses them (MLX's default).
pub fn createTranspose(input: *Array, axes: []const i32) errors.Error!*Array {
    const ndim = input.shape.ndim;
    var permutation: Permutation = .{ .axes = @splat(0) };
    if (axes.len == 0) {
        for (0..ndim) |i| permutation.axes[i] = @intCast(ndim - 1 - i);
    } else {
        if (axes.len != ndim) {
            return errors.fail(error.InvalidArgument, "[transpose] {d} axes given for an array " ++
                "of shape {f}", .{ axes.len, input.shape });
        }
        var seen: u32 = 0;
        for (axes, 0..) |axis, i| {
            const resolved = try shape_mod.normalizeAxis("transpose", axis, input.shape);
            const bit = @as(u32, 1) << @intCast(resolved);
            if (seen & bit != 0) {
                return errors.fail(error.InvalidArgument, "[transpose] axis {d} is repeated", .{axis});
            }
            seen |= bit;
            permutation.axes[i] = resolved;
        }
    }
    var out_shape: shape_mod.Shape = .{ .ndim = ndim };
    for (0..ndim) |i| out_shape.dims[i] = input.shape.dims[permutation.axes[i]];
    return Array.createLazy(input.dtype, out_shape, .{ .transpose = permutation }, &.{input});
}

pub fn evalTranspose(permutation: Permutation, out: *Array) void {
    const input = out.inputs[0];
    shareBuffer(out, input);
    for (0..out.shape.ndim) |i| out.strides[i] = input.strides[permutation.axes[i]];
}

/// Records `input` broadcast to `target` (NumPy rules; `target` must be the broadcast shape).
pub fn createBroadcastTo(input: *Array, target: shape_mod.Shape) errors.Error!*Array {
    const combined = shape_mod.broadcast("broadcast_to", input.shape, target) catch {
        return errors.fail(error.ShapeMismatch, "[broadcast_to] shape {f} cannot be broadcast " ++
            "to {f}", .{ input.shape, target });
    };
    if (!combined.eql(target)) {
        return errors.fail(error.ShapeMismatch, "[broadcast_to] shape {f} cannot be broadcast " ++
            "to {f}", .{ input.shape, target });
    }
    if (input.shape.eql(target)) {
        input.retain();
        return input;
    }
    return Array.createLazy(input.dtype, target, .broadcast_to, &.{input});
}

pub fn evalBroadcastTo(out: *Array) void {
    const input = out.inputs[0];
    shareBuffer(out, input);
    out.strides = shape_mod.broadcastStrides(input.shape, input.strides, out.shape);
}

/// Records the slice taking, on each axis, `sizes[i]` elements from `starts[i]` every
/// `steps[i]` (negative: backwards). Every element taken must be inside the input.
pub fn createSlice(
    input: *Array,
    starts: []const i32,
    sizes: []const i32,
    steps: []const i32,
) errors.Error!*Array {
    const params = try checkSlice("slice", input.shape, starts, sizes, steps);
    const out_shape = try shape_mod.Shape.init(sizes);
    return Array.createLazy(input.dtype, out_shape, .{ .slice = params }, &.{input});
}

/// Validates a strided block of `shape` (`sizes[i]` elements from `starts[i]` every
/// `steps[i]` on each axis, all inside) for `op` and returns its parameters.
pub fn checkSlice(
    op: []const u8,
    shape: shape_mod.Shape,
    starts: []const i32,
    sizes: []const i32,
    steps: []const i32,
) errors.Error!SliceParams {
    const ndim = shape.ndim;
    if (starts.len != ndim or sizes.len != ndim or steps.len != ndim) {
        return errors.fail(error.InvalidArgument, "[{s}] {d} starts, {d} sizes and {d} steps " ++
            "given for an array of shape {f}", .{ op, starts.len, sizes.len, steps.len, shape });
    }
    var params: SliceParams = .{ .start = @splat(0), .step = @splat(1) };
    for (0..ndim) |axis| {
        const dim: i64 = shape.dims[axis];
        const start: i64 = starts[axis];
        const size: i64 = sizes[axis];
        const step: i64 = steps[axis];
        const last = start + (size - 1) * step;
        const inside = size == 0 or (start >= 0 and start < dim and last >= 0 and last < dim);
        if (step == 0 or size < 0 or !inside) {
            return errors.fail(error.InvalidArgument, "[{s}] start {d}, size {d}, step {d} " ++
                "reaches outside axis {d} of shape {f}", .{ op, start, size, step, axis, shape });
        }
        params.start[axis] = if (size == 0) 0 else starts[axis];
        params.step[axis] = steps[axis];
    }
    return params;
}

pub fn evalSlice(params: SliceParams, out: *Array) void {
    const input = out.inputs[0];
    shareBuffer(out, input);
    if (out.shape.size() == 0) return;
    for (0..out.shape.ndim) |axis| {
        out.offset += @as(i64, params.start[axis]) * input.strides[axis];
        out.strides[axis] = input.strides[axis] * params.step[axis];
    }
    assert(out.offset >= 0);
}

/// Records `input` with a new shape of the same size.
pub fn createReshape(input: *Array, target: shape_mod.Shape) errors.Error!*Array {
    if (target.size() != input.shape.size()) {
        return errors.fail(error.ShapeMismatch, "[reshape] cannot reshape an array of shape {f} " ++
            "({d} elements) to {f} ({d} elements)", .{
            input.shape, input.shape.size(), target, target.size(),
        });
    }
    if (input.shape.eql(target)) {
        input.retain();
        return input;
    }
    return Array.createLazy(input.dtype, target, .reshape, &.{input});
}

pub fn evalReshape(out: *Array) errors.Error!void {
    const input = out.inputs[0];
    if (input.isRowContiguous()) {
        shareBuffer(out, input);
        out.strides = shape_mod.rowMajorStrides(out.shape);
        return;
    }
    try out.allocateOutput();
    cpu_copy.runFlat(out, input);
}

fn shareBuffer(out: *Array, input: *const Array) void {
    assert(out.buffer == null);
    assert(input.isEvaluated());
    const buffer = input.buffer.?;
    buffer.retain();
    out.buffer = buffer;
    out.offset = input.offset;
}

/// vjp of transpose: the cotangent under the inverse permutation.
pub fn vjpTranspose(permutation: Permutation, out: *Array, cotangent: *Array) errors.Error!*Array {
    const ndim = out.shape.ndim;
    var inverse: [ndim_max]i32 = undefined;
    for (0..ndim) |i| inverse[permutation.axes[i]] = @intCast(i);
    return createTranspose(cotangent, inverse[0..ndim]);
}

/// vjp of reshape: the cotangent in the input's shape.
pub fn vjpReshape(out: *Array, cotangent: *Array) errors.Error!*Array {
    return createReshape(cotangent, out.inputs[0].shape);
}

/// vjp of broadcast_to: the cotangent summed over the broadcast axes.
pub fn vjpBroadcastTo(out: *Array, cotangent: *Array) errors.Error!*Array {
    return grad_ops.unbroadcast(cotangent, out.inputs[0].shape);
}

/// vjp of slice: the cotangent written into zeros of the input's shape at the sliced
/// positions (MLX: slice_update of zeros).
pub fn vjpSlice(params: SliceParams, out: *Array, cotangent: *Array) errors.Error!*Array {
    const zeros = try grad_ops.zerosLike(out.inputs[0]);
    defer zeros.release();
    return indexing.createSliceUpdate(zeros, cotangent, params);
}
