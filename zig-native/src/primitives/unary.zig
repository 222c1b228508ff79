//! Unary elementwise primitives (abs ... imag): MLX's dtype rules, one kernel per op and
//! compute dtype.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const dtype_mod = @import("../dtype.zig");
const Array = @import("../array.zig").Array;
const astype = @import("astype.zig");
const elementwise = @import("../backend/cpu/elementwise.zig");
const unary_ops = @import("../backend/cpu/unary_ops.zig");
const binary = @import("binary.zig");
const grad_ops = @import("../transforms/grad_ops.zig");

const DType = dtype_mod.DType;
const Storage = dtype_mod.Storage;
pub const Op = unary_ops.UnaryOp;

/// Records `op(input)`, converting the input first where MLX does (integers to float32 for
/// transcendental ops).
pub fn create(op: Op, input: *Array) errors.Error!*Array {
    const sig = unary_ops.signature(op, input.dtype) orelse return errors.fail(error.DTypeMismatch,
        "[{s}] is not defined for dtype {s}", .{ @tagName(op), input.dtype.name() });
    const converted = try astype.create(input, sig.compute);
    defer converted.release();
    return Array.createLazy(sig.out, input.shape, .{ .unary = op }, &.{converted});
}

pub fn evalCpu(op: Op, out: *Array) errors.Error!void {
    assert(out.inputs.len == 1);
    return elementwise.evalTableOp(Op, isComputeDtype, KernelOp, op, out);
}

fn isComputeDtype(comptime op: Op, comptime dtype: DType) bool {
    @setEvalBranchQuota(10_000);
    const sig = unary_ops.signature(op, dtype) orelse return false;
    return sig.compute == dtype;
}

fn KernelOp(comptime op: Op, comptime dtype: DType) type {
    const sig = unary_ops.signature(op, dtype).?;
    const In = Storage(dtype);
    const Out = Storage(sig.out);
    const lanes = elementwise.Lanes(&.{dtype}, sig.out);
    return struct {
        pub const in_dtypes = [_]DType{dtype};
        pub const out_dtype = sig.out;
        pub const has_vector = unary_ops.vectorizable(op, dtype) and sig.out == dtype;

        pub fn scalar(x: In) Out {
            return unary_ops.apply(op, dtype, sig.out, x);
        }

        pub fn vector(x: @Vector(lanes, In)) @Vector(lanes, Out) {
            return unary_ops.apply(op, dtype, sig.out, x);
        }
    };
}

/// The cotangent of the input of `out = op(x)` given `cotangent` of `out`; null where the op
/// is piecewise constant or not differentiable (its gradient is zero, as in MLX).
pub fn vjp(op: Op, out: *Array, cotangent: *Array) errors.Error!?*Array {
    const x = out.inputs[0];
    switch (op) {
        .negative => return try grad_ops.negate(cotangent),
        .exp => return try grad_ops.mul(cotangent, out),
        .expm1 => {
            const one_plus = try binaryAddScalar(out, 1);
            defer one_plus.release();
            return try grad_ops.mul(cotangent, one_plus);
        },
        .log => return try binary.create(.divide, cotangent, x),
        .log1p => {
            const one_plus = try binaryAddScalar(x, 1);
            defer one_plus.release();
            return try binary.create(.divide, cotangent, one_plus);
        },
        .sin => return try mulBy(cotangent, .cos, x, 1),
        .cos => return try mulBy(cotangent, .sin, x, -1),
        .square => {
            const twice = try grad_ops.scale(x, 2);
            defer twice.release();
            return try grad_ops.mul(cotangent, twice);
        },
        .sqrt => {
            // d sqrt(x) = 1 / (2 sqrt(x))
            const twice = try grad_ops.scale(out, 2);
            defer twice.release();
            return try binary.create(.divide, cotangent, twice);
        },
        .tanh => {
            // 1 - tanh^2
            const squared = try grad_ops.mul(out, out);
            defer squared.release();
            const one_minus = try oneMinus(squared);
            defer one_minus.release();
            return try grad_ops.mul(cotangent, one_minus);
        },
        .sigmoid => {
            const one_minus = try oneMinus(out);
            defer one_minus.release();
            const slope = try grad_ops.mul(out, one_minus);
            defer slope.release();
            return try grad_ops.mul(cotangent, slope);
        },
        .abs => return try mulBy(cotangent, .sign, x, 1),
        .reciprocal => {
            const squared = try grad_ops.mul(out, out);
            defer squared.release();
            const product = try grad_ops.mul(cotangent, squared);
            defer product.release();
            return try grad_ops.negate(product);
        },
        .sign, .ceil, .floor, .round, .logical_not, .isnan, .isinf, .isfinite, .isposinf,
        .isneginf, .bitwise_invert, .stop_gradient => return null,
        else => return errors.fail(error.Unsupported, "[vjp] the derivative of {s} is not " ++
            "implemented yet", .{@tagName(op)}),
    }
}

/// `cotangent * sign * f(x)`.
fn mulBy(cotangent: *Array, f: Op, x: *Array, sign: f64) errors.Error!*Array {
    const fx = try create(f, x);
    defer fx.release();
    const product = try grad_ops.mul(cotangent, fx);
    if (sign > 0) return product;
    defer product.release();
    return grad_ops.negate(product);
}

fn binaryAddScalar(a: *Array, value: f64) errors.Error!*Array {
    const constant = try grad_ops.scalar(value, a.dtype);
    defer constant.release();
    return binary.create(.add, a, constant);
}

/// `1 - a`.
fn oneMinus(a: *Array) errors.Error!*Array {
    const one = try grad_ops.scalar(1, a.dtype);
    defer one.release();
    return binary.create(.subtract, one, a);
}
