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
const grad_ops = @import("../transforms/grad_ops.zig");

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
/// logical, bitwise, integer division: zero gradient, as in MLX).
pub fn vjp(op: Op, out: *Array, cotangent: *Array, argnum: usize) errors.Error!?*Array {
    assert(argnum < 2);
    const a = out.inputs[0];
    const b = out.inputs[1];
    const input = out.inputs[argnum];
    const full: *Array = switch (op) {
        .add => blk: {
            cotangent.retain();
            break :blk cotangent;
        },
        .subtract => if (argnum == 0) blk: {
            cotangent.retain();
            break :blk cotangent;
        } else try grad_ops.negate(cotangent),
        .multiply => try grad_ops.mul(cotangent, if (argnum == 0) b else a),
        .divide => if (argnum == 0) try create(.divide, cotangent, b) else blk: {
            // d(a/b)/db = -(a/b)/b
            const ratio = try create(.divide, out, b);
            defer ratio.release();
            const product = try grad_ops.mul(cotangent, ratio);
            defer product.release();
            break :blk try grad_ops.negate(product);
        },
        .power => if (argnum == 0) blk: {
            // b * a^(b - 1)
            const one = try grad_ops.scalar(1, b.dtype);
            defer one.release();
            const exponent = try create(.subtract, b, one);
            defer exponent.release();
            const lowered = try create(.power, a, exponent);
            defer lowered.release();
            const slope = try grad_ops.mul(lowered, b);
            defer slope.release();
            break :blk try grad_ops.mul(cotangent, slope);
        } else blk: {
            // a^b * log(a)
            const log_a = try unary.create(.log, a);
            defer log_a.release();
            const slope = try grad_ops.mul(out, log_a);
            defer slope.release();
            break :blk try grad_ops.mul(cotangent, slope);
        },
        .floor_divide, .equal, .not_equal, .less, .less_equal, .greater, .greater_equal,
        .logical_and, .logical_or, .bitwise_and, .bitwise_or, .bitwise_xor, .left_shift,
        .right_shift => return null,
        else => return errors.fail(error.Unsupported, "[vjp] the derivative of {s} is not " ++
            "implemented yet", .{@tagName(op)}),
    };
    defer full.release();
    return try grad_ops.unbroadcast(full, input.shape);
}
