//! Primitives that make data from nothing: arange.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const shape_mod = @import("../shape.zig");
const dtype_mod = @import("../dtype.zig");
const Array = @import("../array.zig").Array;
const cast = @import("../backend/cpu/cast.zig");
const binary_ops = @import("../backend/cpu/binary_ops.zig");

const DType = dtype_mod.DType;

pub const Arange = struct {
    start: f64,
    step: f64,
};

/// Records [start, start + step, ...) below `stop` (above, for a negative step), in `dtype`.
pub fn createArange(start: f64, stop: f64, step: f64, dtype: DType) errors.Error!*Array {
    if (!std.math.isFinite(start) or !std.math.isFinite(stop) or !std.math.isFinite(step) or step == 0) {
        return errors.fail(error.InvalidArgument, "[arange] start {d}, stop {d} and step {d} must " ++
            "be finite and step non-zero", .{ start, stop, step });
    }
    if (dtype == .bool_) {
        return errors.fail(error.DTypeMismatch, "[arange] is not defined for dtype {s}", .{dtype.name()});
    }
    const count_real = @ceil((stop - start) / step);
    const count: f64 = if (count_real > 0) count_real else 0;
    if (count > @as(f64, @floatFromInt(std.math.maxInt(i32)))) {
        return errors.fail(error.LimitExceeded, "[arange] {d} elements exceed the limit of {d} " ++
            "per dimension", .{ count, std.math.maxInt(i32) });
    }
    const shape = try shape_mod.Shape.init(&.{@as(i32, @intFromFloat(count))});
    // As MLX: the length comes from the real values; integer dtypes then count from the
    // truncated start by the truncated step.
    const integral = dtype.isInteger();
    const params: Arange = .{
        .start = if (integral) @trunc(start) else start,
        .step = if (integral) @trunc(step) else step,
    };
    return Array.createLazy(dtype, shape, .{ .arange = params }, &.{});
}

/// Fills by accumulating the step in the output dtype, as MLX does (so float16 ranges show
/// the same rounding as MLX's).
pub fn evalArange(params: Arange, out: *Array) errors.Error!void {
    try out.allocateOutput();
    const count: usize = @intCast(out.shape.size());
    if (count == 0) return;
    switch (out.dtype) {
        .bool_ => unreachable,
        inline else => |dtype| {
            const data = out.dataPtr(dtype_mod.Storage(dtype));
            const step = cast.convert(dtype, .float64, params.step);
            data[0] = cast.convert(dtype, .float64, params.start);
            for (1..count) |i| {
                data[i] = binary_ops.apply(.add, dtype, dtype, data[i - 1], step);
            }
        },
    }
}
