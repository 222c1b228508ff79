//! Reductions over a set of axes (sum), with keepdims.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const shape_mod = @import("../shape.zig");
const dtype_mod = @import("../dtype.zig");
const Array = @import("../array.zig").Array;
const cpu_reduce = @import("../backend/cpu/reduce.zig");

comptime {
    assert(shape_mod.ndim_max <= 32); // Axes fit the mask below.
}

pub const Params = struct {
    /// Bit i set: input axis i is reduced.
    axes_mask: u32,
};

pub const Op = cpu_reduce.Op;

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
        if (reduced and !keepdims) continue;
        out_shape.dims[out_shape.ndim] = if (reduced) 1 else input.shape.dims[axis];
        out_shape.ndim += 1;
    }
    const out_dtype = dtype_mod.sumDtype(input.dtype);
    return Array.createLazy(out_dtype, out_shape, .{ .sum = .{ .axes_mask = mask } }, &.{input});
}

pub fn evalCpu(op: Op, params: Params, out: *Array) errors.Error!void {
    assert(out.inputs.len == 1);
    try out.allocateOutput();
    cpu_reduce.run(op, out, out.inputs[0], params.axes_mask);
}
