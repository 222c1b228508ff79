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
