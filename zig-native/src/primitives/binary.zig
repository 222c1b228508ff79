//! Binary elementwise primitives (add ... right_shift): NumPy broadcasting, MLX type
//! promotion and per-op dtype rules, one kernel per op and compute dtype.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const shape_mod = @import("../shape.zig");
const dtype_mod = @import("../dtype.zig");
const Array = @import("../array.zig").Array;
const astype = @import("astype.zig");
const elementwise = @import("../backend/cpu/elementwise.zig");
const binary_ops = @import("../backend/cpu/binary_ops.zig");
const unary = @import("unary.zig");
const ternary = @import("ternary.zig");
const grad_ops = @import("../transforms/grad_ops.zig");

const mulTake = grad_ops.mulTake;

const DType = dtype_mod.DType;
const Storage = dtype_mod.Storage;
pub const Op = binary_ops.BinaryOp;

/// Records `a op b`: promotes both to a common dtype (then to the op's compute dtype) and
/// broadcasts their shapes.
pub fn create(op: Op, a: *Array, b: *Array) errors.Error!*Array {
    const name = @tagName(op);
    const out_shape = try shape_mod.broadcast(name, a.shape, b.shape);
    const promoted = dtype_mod.promote(a.dtype, b.dtype);
    const sig = binary_ops.signature(op, promoted) orelse return errors.fail(error.DTypeMismatch,
        "[{s}] is not defined for dtypes {s} and {s}", .{ name, a.dtype.name(), b.dtype.name() });
    const a_cast = try astype.create(a, sig.compute);
    defer a_cast.release();
    const b_cast = try astype.create(b, sig.compute);
    defer b_cast.release();
    return Array.createLazy(sig.out, out_shape, .{ .binary = op }, &.{ a_cast, b_cast });
}

pub fn evalCpu(op: Op, out: *Array) errors.Error!void {
    assert(out.inputs.len == 2);
    return elementwise.evalTableOp(Op, isComputeDtype, KernelOp, op, out);
}

fn isComputeDtype(comptime op: Op, comptime dtype: DType) bool {
    @setEvalBranchQuota(10_000);
    const sig = binary_ops.signature(op, dtype) orelse return false;
    return sig.compute == dtype;
}

fn KernelOp(comptime op: Op, comptime dtype: DType) type {
    const sig = binary_ops.signature(op, dtype).?;
    const In = Storage(dtype);
    const Out = Storage(sig.out);
    const lanes = elementwise.Lanes(&.{ dtype, dtype }, sig.out);
    return struct {
        pub const in_dtypes = [_]DType{ dtype, dtype };
        pub const out_dtype = sig.out;
        pub const has_vector = binary_ops.vectorizable(op, dtype);

        pub fn scalar(a: In, b: In) Out {
            return binary_ops.apply(op, dtype, sig.out, a, b);
        }

        pub fn vector(a: @Vector(lanes, In), b: @Vector(lanes, In)) @Vector(lanes, Out) {
            return binary_ops.apply(op, dtype, sig.out, a, b);
        }
    };
}

/// The cotangent of input `argnum` of `out = a op b` given `cotangent` of `out`, summed back
/// to that input's (broadcast) shape; null where the op is not differentiable (comparisons,
/// logical, bitwise, integer division: zero gradient, as in MLX). For complex inputs the
/// derivatives are conjugated, as in MLX (except power's, as in MLX).
pub fn vjp(op: Op, out: *Array, cotangent: *Array, argnum: usize) errors.Error!?*Array {
    assert(argnum < 2);
    const full: *Array = switch (op) {
        .add, .subtract, .multiply, .divide, .power => try vjpArithmetic(op, out, cotangent,
            argnum),
        .maximum, .minimum, .logaddexp, .arctan2, .remainder => try vjpOther(op, out, cotangent,
            argnum),
        .floor_divide, .equal, .not_equal, .less, .less_equal, .greater, .greater_equal,
        .logical_and, .logical_or, .bitwise_and, .bitwise_or, .bitwise_xor, .left_shift,
        .right_shift => return null,
    };
    defer full.release();
    return try grad_ops.unbroadcast(full, out.inputs[argnum].shape);
}

fn vjpArithmetic(op: Op, out: *Array, cotangent: *Array, argnum: usize) errors.Error!*Array {
    const a = out.inputs[0];
    const b = out.inputs[1];
    return switch (op) {
        .add => retained(cotangent),
        .subtract => if (argnum == 0) retained(cotangent) else try grad_ops.negate(cotangent),
        .multiply => try mulTake(cotangent, try grad_ops.conjugate(if (argnum == 0) b else a)),
        // d(a/b)/da = 1/b; d(a/b)/db = -(a/b)/b
        .divide => if (argnum == 0)
            try grad_ops.divideTake(cotangent, try grad_ops.conjugate(b))
        else
            try grad_ops.negateTake(try mulTake(cotangent, try grad_ops.conjugateTake(
                try create(.divide, out, b),
            ))),
        .power => if (argnum == 0) blk: {
            // b * a^(b - 1)
            const lowered = try grad_ops.binaryTake(.power, a, try grad_ops.addScalar(b, -1));
            defer lowered.release();
            break :blk try mulTake(cotangent, try grad_ops.mul(lowered, b));
        } else blk: {
            // a^b log(a), and 0 where a^b is 0 (not 0 * -inf), as in MLX
            const slope = try mulTake(out, try unary.create(.log, a));
            defer slope.release();
            const zero = try grad_ops.scalar(0, out.dtype);
            defer zero.release();
            break :blk try mulTake(cotangent, try ternary.createWhere(out, slope, zero));
        },
        else => unreachable,
    };
}

fn vjpOther(op: Op, out: *Array, cotangent: *Array, argnum: usize) errors.Error!*Array {
    const a = out.inputs[0];
    const b = out.inputs[1];
    return switch (op) {
        // Ties go to b, as in MLX: a gets a > b (a < b for minimum), b the rest.
        .maximum => try mulTake(cotangent, try create(if (argnum == 0) .greater else .less_equal,
            a, b)),
        .minimum => try mulTake(cotangent, try create(if (argnum == 0) .less else .greater_equal,
            a, b)),
        .logaddexp => blk: {
            if (a.dtype.isComplex()) return errors.fail(error.Unsupported, "[vjp] the " ++
                "derivative of logaddexp is not defined for complex64 (as in MLX)", .{});
            // sigmoid(a - b) for a, 1 - sigmoid(a - b) for b
            const share = try grad_ops.unaryTake(.sigmoid, try create(.subtract, a, b));
            const side = if (argnum == 0) share else try grad_ops.scalarMinusTake(1, share);
            break :blk try mulTake(cotangent, side);
        },
        .arctan2 => blk: {
            // (b, -a) / (a^2 + b^2)
            const a_squared = try unary.create(.square, a);
            defer a_squared.release();
            const norm = try grad_ops.binaryTake(.add, a_squared, try unary.create(.square, b));
            const ratio = try grad_ops.divideTake(cotangent, norm);
            defer ratio.release();
            if (argnum == 0) break :blk try grad_ops.mul(b, ratio);
            break :blk try mulTake(ratio, try grad_ops.negate(a));
        },
        // a - floor(a / b) b: 1 for a, -floor(a / b) for b
        .remainder => if (argnum == 0) retained(cotangent) else blk: {
            const quotient = try grad_ops.unaryTake(.floor, try create(.divide, a, b));
            const cast = try astypeTake(quotient, cotangent.dtype);
            break :blk try grad_ops.negateTake(try mulTake(cotangent, cast));
        },
        else => unreachable,
    };
}

fn retained(a: *Array) *Array {
    a.retain();
    return a;
}

fn astypeTake(owned: *Array, dtype: DType) errors.Error!*Array {
    defer owned.release();
    return astype.create(owned, dtype);
}
