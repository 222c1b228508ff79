//! Reductions over a set of axes (sum, prod, min, max, all, any), arg-reductions along one
//! axis (argmin, argmax) and scans along one axis (cumsum ... logcumsumexp).

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const shape_mod = @import("../shape.zig");
const dtype_mod = @import("../dtype.zig");
const Array = @import("../array.zig").Array;
const astype = @import("astype.zig");
const view = @import("view.zig");
const cpu_reduce = @import("../backend/cpu/reduce.zig");
const axis_ops = @import("../backend/cpu/axis_ops.zig");

comptime {
    assert(shape_mod.ndim_max <= 32); // Axes fit the mask below.
}

pub const Op = cpu_reduce.Op;
pub const ArgOp = axis_ops.ArgOp;
pub const ScanOp = axis_ops.ScanOp;

pub const Params = struct {
    op: Op,
    /// Bit i set: input axis i is reduced.
    axes_mask: u32,
};

pub const ArgParams = struct { op: ArgOp, axis: u8 };

pub const ScanParams = struct { op: ScanOp, axis: u8, reverse: bool, inclusive: bool };

/// Records the reduction of `input` over `axes` (negative counts from the end; empty means
/// every axis, as when MLX is given no axis).
pub fn create(op: Op, input: *Array, axes: []const i32, keepdims: bool) errors.Error!*Array {
    const name = @tagName(op);
    var mask: u32 = 0;
    if (axes.len == 0) {
        mask = if (input.shape.ndim == 0) 0 else (@as(u32, 1) << @intCast(input.shape.ndim)) - 1;
    }
    for (axes) |axis| {
        const resolved = try shape_mod.normalizeAxis(name, axis, input.shape);
        const bit = @as(u32, 1) << @intCast(resolved);
        if (mask & bit != 0) {
            return errors.fail(error.InvalidArgument, "[{s}] axis {d} is repeated in the " ++
                "axes of a reduction over shape {f}", .{ name, axis, input.shape });
        }
        mask |= bit;
    }
    var out_shape: shape_mod.Shape = .{};
    for (0..input.shape.ndim) |axis| {
        const reduced = mask & (@as(u32, 1) << @intCast(axis)) != 0;
        if (reduced and (op == .min or op == .max) and input.shape.dims[axis] == 0) {
            return errors.fail(error.InvalidArgument, "[{s}] cannot reduce over axis {d} of " ++
                "size 0 (shape {f})", .{ name, axis, input.shape });
        }
        if (reduced and !keepdims) continue;
        out_shape.dims[out_shape.ndim] = if (reduced) 1 else input.shape.dims[axis];
        out_shape.ndim += 1;
    }
    const out_dtype = cpu_reduce.outputDtype(op, input.dtype);
    const params: Params = .{ .op = op, .axes_mask = mask };
    return Array.createLazy(out_dtype, out_shape, .{ .reduce = params }, &.{input});
}

pub fn evalCpu(params: Params, out: *Array) errors.Error!void {
    assert(out.inputs.len == 1);
    try out.allocateOutput();
    cpu_reduce.run(params.op, out, out.inputs[0], params.axes_mask);
}

/// Records argmin/argmax of `input` along `axis` (uint32 indices).
pub fn createArg(op: ArgOp, input: *Array, axis: i32, keepdims: bool) errors.Error!*Array {
    const name = @tagName(op);
    const resolved = try shape_mod.normalizeAxis(name, axis, input.shape);
    if (input.shape.size() == 0) {
        return errors.fail(error.InvalidArgument, "[{s}] cannot reduce an empty array (shape {f})", .{
            name, input.shape,
        });
    }
    var out_shape: shape_mod.Shape = .{};
    for (0..input.shape.ndim) |i| {
        if (i == resolved and !keepdims) continue;
        out_shape.dims[out_shape.ndim] = if (i == resolved) 1 else input.shape.dims[i];
        out_shape.ndim += 1;
    }
    const params: ArgParams = .{ .op = op, .axis = resolved };
    return Array.createLazy(.uint32, out_shape, .{ .arg_reduce = params }, &.{input});
}

pub fn evalArgCpu(params: ArgParams, out: *Array) errors.Error!void {
    try out.allocateOutput();
    axis_ops.runArg(params.op, out, out.inputs[0], params.axis);
}

/// Records a scan of `input` along `axis`.
pub fn createScan(op: ScanOp, input: *Array, axis: i32, reverse: bool, inclusive: bool) errors.Error!*Array {
    const resolved = try shape_mod.normalizeAxis(@tagName(op), axis, input.shape);
    const dtype = axis_ops.scanDtype(op, input.dtype);
    const converted = try astype.create(input, dtype);
    defer converted.release();
    const params: ScanParams = .{ .op = op, .axis = resolved, .reverse = reverse, .inclusive = inclusive };
    return Array.createLazy(dtype, input.shape, .{ .scan = params }, &.{converted});
}

pub fn evalScanCpu(params: ScanParams, out: *Array) errors.Error!void {
    try out.allocateOutput();
    axis_ops.runScan(params.op, out, out.inputs[0], params.axis, params.reverse, params.inclusive);
}

/// vjp of a reduction: sum spreads the cotangent over the reduced axes; the others are not
/// implemented yet.
pub fn vjp(params: Params, out: *Array, cotangent: *Array) errors.Error!*Array {
    const input = out.inputs[0];
    if (params.op != .sum) {
        return errors.fail(error.Unsupported, "[vjp] the derivative of {s} is not implemented " ++
            "yet", .{@tagName(params.op)});
    }
    var kept: shape_mod.Shape = input.shape;
    for (0..input.shape.ndim) |axis| {
        if (params.axes_mask & (@as(u32, 1) << @intCast(axis)) != 0) kept.dims[axis] = 1;
    }
    const reshaped = try view.createReshape(cotangent, kept);
    defer reshaped.release();
    const spread = try view.createBroadcastTo(reshaped, input.shape);
    defer spread.release();
    return astype.create(spread, input.dtype);
}
