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
