//! where(condition, x, y): picks x where the condition holds, else y, with broadcasting of
//! all three; x and y promote to a common dtype.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const shape_mod = @import("../shape.zig");
const dtype_mod = @import("../dtype.zig");
const Array = @import("../array.zig").Array;
const astype = @import("astype.zig");
const elementwise = @import("../backend/cpu/elementwise.zig");
const unary = @import("unary.zig");
const grad_ops = @import("../transforms/grad_ops.zig");

const DType = dtype_mod.DType;
const Storage = dtype_mod.Storage;

pub fn createWhere(condition: *Array, x: *Array, y: *Array) errors.Error!*Array {
    const xy_shape = try shape_mod.broadcast("where", x.shape, y.shape);
    const out_shape = try shape_mod.broadcast("where", condition.shape, xy_shape);
    const out_dtype = dtype_mod.promote(x.dtype, y.dtype);
    const c_cast = try astype.create(condition, .bool_);
    defer c_cast.release();
    const x_cast = try astype.create(x, out_dtype);
    defer x_cast.release();
    const y_cast = try astype.create(y, out_dtype);
    defer y_cast.release();
    return Array.createLazy(out_dtype, out_shape, .where, &.{ c_cast, x_cast, y_cast });
}

pub fn evalWhereCpu(out: *Array) errors.Error!void {
    assert(out.inputs.len == 3);
    try out.allocateOutputDonated();
    switch (out.dtype) {
        inline else => |dtype| elementwise.run(WhereOp(dtype), out, out.inputs),
    }
}

fn WhereOp(comptime dtype: DType) type {
    const T = Storage(dtype);
    const lanes = elementwise.Lanes(&.{ .bool_, dtype, dtype }, dtype);
    return struct {
        pub const in_dtypes = [_]DType{ .bool_, dtype, dtype };
        pub const out_dtype = dtype;
        pub const has_vector = switch (dtype) {
            .bfloat16, .complex64 => false,
            else => true,
        };

        pub fn scalar(condition: u8, x: T, y: T) T {
            return if (condition != 0) x else y;
        }

        pub fn vector(condition: @Vector(lanes, u8), x: @Vector(lanes, T), y: @Vector(lanes, T)) @Vector(lanes, T) {
            const zero: @Vector(lanes, u8) = @splat(0);
            return @select(T, condition != zero, x, y);
        }
    };
}

/// The cotangent of input `argnum` of `out = where(condition, x, y)`: the output's cotangent
/// where the condition picks that input (x where it holds, y elsewhere), zero elsewhere, summed
/// back over broadcast axes; the condition gets none (null), as in MLX.
pub fn vjpWhere(out: *Array, cotangent: *Array, argnum: usize) errors.Error!?*Array {
    assert(argnum < 3);
    if (argnum == 0) return null;
    const condition = out.inputs[0];
    assert(condition.dtype == .bool_);
    const picked = if (argnum == 1) blk: {
        condition.retain();
        break :blk condition;
    } else try unary.create(.logical_not, condition);
    defer picked.release();
    const mask = try astype.create(picked, cotangent.dtype);
    defer mask.release();
    const full = try grad_ops.mul(mask, cotangent);
    defer full.release();
    return try grad_ops.unbroadcast(full, out.inputs[argnum].shape);
}
