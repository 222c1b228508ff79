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

const unaryTake = grad_ops.unaryTake;
const mulTake = grad_ops.mulTake;
const divideTake = grad_ops.divideTake;
const scaleTake = grad_ops.scaleTake;
const addScalarTake = grad_ops.addScalarTake;
const scalarMinusTake = grad_ops.scalarMinusTake;

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
/// is piecewise constant or not differentiable (its gradient is zero, as in MLX). For complex
/// input the cotangent is multiplied by the conjugate of the derivative, as in MLX.
pub fn vjp(op: Op, out: *Array, cotangent: *Array) errors.Error!?*Array {
    const x = out.inputs[0];
    return switch (op) {
        .negative => try grad_ops.negate(cotangent),
        .conjugate => try grad_ops.conjugate(cotangent),
        // real(x) is x itself for real dtypes; for complex x the cotangent is the real part's.
        .real => try astype.create(cotangent, x.dtype),
        .imag => if (x.dtype.isComplex()) try timesImaginaryUnit(cotangent) else null,
        // For complex z the (real) cotangent times sign(z) = z / |z|, as in MLX.
        .abs => try mulTake(cotangent, try create(.sign, x)),
        .degrees => try grad_ops.scale(cotangent, 180.0 / std.math.pi),
        .radians => try grad_ops.scale(cotangent, std.math.pi / 180.0),
        .sign, .ceil, .floor, .round, .logical_not, .isnan, .isinf, .isfinite, .isposinf,
        .isneginf, .bitwise_invert, .stop_gradient => null,
        .exp, .expm1, .log, .log2, .log10, .log1p, .sin, .cos, .tan, .arcsin, .arccos, .arctan,
        .sinh, .cosh, .tanh, .arcsinh, .arccosh, .arctanh, .erf, .erfinv, .sigmoid, .sqrt,
        .rsqrt, .square, .reciprocal => try vjpSmooth(op, x, out, cotangent),
    };
}

/// The ops with a derivative f'(x): `cotangent * conj(f'(x))`, written with conj(x) and
/// conj(out) (for these functions conj(f'(x)) = f'(conj(x)) off the branch cuts) and MLX's
/// formulas; the conjugates are no nodes for real dtypes.
fn vjpSmooth(op: Op, x: *Array, out: *Array, cotangent: *Array) errors.Error!*Array {
    const xc = try grad_ops.conjugate(x);
    defer xc.release();
    const oc = try grad_ops.conjugate(out);
    defer oc.release();
    const ct = cotangent;
    return switch (op) {
        .exp => try grad_ops.mul(ct, oc),
        .expm1 => try mulTake(ct, try grad_ops.addScalar(oc, 1)),
        .log => try binary.create(.divide, ct, xc),
        .log2 => try scaleTake(try binary.create(.divide, ct, xc), 1.0 / std.math.ln2),
        .log10 => try scaleTake(try binary.create(.divide, ct, xc), 1.0 / std.math.ln10),
        .log1p => try divideTake(ct, try grad_ops.addScalar(xc, 1)),
        .sin => try mulTake(ct, try create(.cos, xc)),
        .cos => try unaryTake(.negative, try mulTake(ct, try create(.sin, xc))),
        .tan => try divideTake(ct, try unaryTake(.square, try create(.cos, xc))),
        // 1 / sqrt(1 - x^2), negated for arccos
        .arcsin => try mulTake(ct, try oneOverRoot(1, xc, -1)),
        .arccos => try unaryTake(.negative, try mulTake(ct, try oneOverRoot(1, xc, -1))),
        .arctan => try divideTake(ct, try addScalarTake(try create(.square, xc), 1)),
        .sinh => try mulTake(ct, try create(.cosh, xc)),
        .cosh => try mulTake(ct, try create(.sinh, xc)),
        .tanh => try mulTake(ct, try scalarMinusTake(1, try create(.square, oc))),
        .arcsinh => try mulTake(ct, try oneOverRoot(1, xc, 1)),
        .arccosh => try mulTake(ct, try arccoshSlope(xc)),
        .arctanh => try divideTake(ct, try scalarMinusTake(1, try create(.square, xc))),
        .erf => blk: {
            // 2 / sqrt(pi) * exp(-x^2)
            const scaled = try grad_ops.scale(ct, 2.0 / std.math.sqrt(std.math.pi));
            defer scaled.release();
            const minus_square = try unaryTake(.negative, try create(.square, xc));
            break :blk try mulTake(scaled, try unaryTake(.exp, minus_square));
        },
        .erfinv => blk: {
            // sqrt(pi) / 2 * exp(erfinv(x)^2)
            const scaled = try grad_ops.scale(ct, std.math.sqrt(std.math.pi) / 2.0);
            defer scaled.release();
            break :blk try mulTake(scaled, try unaryTake(.exp, try create(.square, oc)));
        },
        .sigmoid => try mulTake(ct, try mulTake(oc, try grad_ops.scalarMinus(1, oc))),
        .sqrt => try scaleTake(try binary.create(.divide, ct, oc), 0.5),
        // -1/2 * rsqrt(x) / x
        .rsqrt => try scaleTake(try mulTake(ct, try binary.create(.divide, oc, xc)), -0.5),
        .square => try mulTake(ct, try grad_ops.scale(xc, 2)),
        .reciprocal => try unaryTake(.negative, try mulTake(ct, try create(.square, oc))),
        else => unreachable, // the rules of vjp
    };
}

/// rsqrt(constant + sign * x^2).
fn oneOverRoot(constant: f64, x: *Array, sign: f64) errors.Error!*Array {
    const squared = try create(.square, x);
    const term = if (sign < 0) try scalarMinusTake(constant, squared) else
        try addScalarTake(squared, constant);
    return unaryTake(.rsqrt, term);
}

/// 1 / sqrt(x^2 - 1) for real x (finite below -1 too, as in MLX); for complex x (given
/// conjugated) 1 / (sqrt(x - 1) sqrt(x + 1)), the derivative of the principal branch.
fn arccoshSlope(xc: *Array) errors.Error!*Array {
    if (!xc.dtype.isComplex()) return oneOverRoot(-1, xc, 1);
    const below = try unaryTake(.rsqrt, try grad_ops.addScalar(xc, -1));
    defer below.release();
    return mulTake(below, try unaryTake(.rsqrt, try grad_ops.addScalar(xc, 1)));
}

/// `cotangent * i` (complex64): the cotangent of a complex input of imag.
fn timesImaginaryUnit(cotangent: *Array) errors.Error!*Array {
    const unit = [2]f32{ 0, 1 };
    const i = try Array.createFromBytes(.complex64, .{}, std.mem.asBytes(&unit));
    defer i.release();
    return grad_ops.mul(i, cotangent);
}
