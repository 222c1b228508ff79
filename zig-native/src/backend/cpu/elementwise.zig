//! The elementwise kernel driver: out[i] = f(in_0[i], ..., in_k[i]) over inputs that
//! broadcast to the output shape with any strides (negative too), output row-major. Rows
//! where every input is contiguous or a broadcast scalar run a SIMD loop when the op has a
//! vector form; the flat output range is split across the thread pool.

const std = @import("std");
const assert = std.debug.assert;
const dtype_mod = @import("../../dtype.zig");
const shape_mod = @import("../../shape.zig");
const Array = @import("../../array.zig").Array;
const errors = @import("../../errors.zig");
const strided = @import("strided.zig");
const pool = @import("pool.zig");
const simd = @import("simd.zig");

const DType = dtype_mod.DType;
const Storage = dtype_mod.Storage;

/// Evaluates an op of an op table (unary_ops, binary_ops): allocates the output (reusing a
/// donated input buffer) and runs `KernelOp(op, dtype)` for the first input's dtype, which the
/// op's primitive converted to the table's compute dtype (`isComputeDtype` says which those are).
pub fn evalTableOp(
    comptime OpEnum: type,
    comptime isComputeDtype: anytype,
    comptime KernelOp: anytype,
    op: OpEnum,
    out: *Array,
) errors.Error!void {
    try out.allocateOutputDonated();
    @setEvalBranchQuota(100_000);
    switch (op) {
        inline else => |comptime_op| switch (out.inputs[0].dtype) {
            inline else => |dtype| {
                if (comptime isComputeDtype(comptime_op, dtype)) {
                    run(KernelOp(comptime_op, dtype), out, out.inputs);
                } else unreachable;
            },
        },
    }
}

/// Runs `Op.scalar` (and `Op.vector` when `Op.has_vector`) over `inputs` into `out`.
/// `Op` declares `in_dtypes: [n]DType`, `out_dtype`, `scalar(args...) Out`, `has_vector`,
/// and `vector(@Vector args...)` when it has one.
pub fn run(comptime Op: type, out: *Array, inputs: []const *Array) void {
    const n = Op.in_dtypes.len;
    assert(inputs.len == n);
    assert(out.dtype == Op.out_dtype);
    assert(out.isRowContiguous());
    const total: usize = @intCast(out.shape.size());
    if (total == 0) return;
    var strides: [n + 1]shape_mod.Strides = undefined;
    var starts: [n + 1]i64 = undefined;
    var bases: [n][*]const u8 = undefined;
    strides[0] = out.strides;
    starts[0] = out.offset;
    inline for (0..n) |k| {
        assert(inputs[k].dtype == Op.in_dtypes[k]);
        strides[k + 1] = shape_mod.broadcastStrides(inputs[k].shape, inputs[k].strides, out.shape);
        starts[k + 1] = inputs[k].offset;
        bases[k] = @ptrCast(inputs[k].basePtr(u8));
    }
    const K = Kernel(Op);
    const kernel: K = .{
        .loop = strided.Loop(n + 1).init(out.shape, strides, starts),
        .out = out.basePtr(Storage(Op.out_dtype)),
        .bases = bases,
    };
    assert(kernel.loop.rowStride(0) == 1);
    pool.parallelFor(total, simd.parallel_grain_elements, &kernel, K.runRange);
}

fn Kernel(comptime Op: type) type {
    const n = Op.in_dtypes.len;
    const Out = Storage(Op.out_dtype);
    const lanes = Lanes(&Op.in_dtypes, Op.out_dtype);
    return struct {
        loop: strided.Loop(n + 1),
        out: [*]Out,
        bases: [n][*]const u8,

        fn input(self: *const @This(), comptime k: usize) [*]const Storage(Op.in_dtypes[k]) {
            return @ptrCast(@alignCast(self.bases[k]));
        }

        fn runRange(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const @This() = @ptrCast(@alignCast(context));
            const row_length: usize = @intCast(self.loop.rowLength());
            var index = start;
            while (index < end) {
                const row_index = index / row_length;
                const column: i64 = @intCast(index % row_length);
                const count = @min(row_length - @as(usize, @intCast(column)), end - index);
                const offsets = self.loop.rowOffsets(@intCast(row_index));
                var firsts: [n]i64 = undefined;
                var steps: [n]i64 = undefined;
                inline for (0..n) |k| {
                    steps[k] = self.loop.rowStride(k + 1);
                    firsts[k] = offsets[k + 1] + column * steps[k];
                }
                const out = strided.ptrAt(Out, self.out, offsets[0] + column)[0..count];
                self.runRow(out, firsts, steps);
                index += count;
            }
        }

        fn runRow(self: *const @This(), out: []Out, firsts: [n]i64, steps: [n]i64) void {
            var done: usize = 0;
            if (Op.has_vector) {
                var simple = true;
                inline for (0..n) |k| simple = simple and (steps[k] == 0 or steps[k] == 1);
                if (simple) done = self.vectorRow(out, firsts, steps);
            }
            var i = done;
            while (i < out.len) : (i += 1) {
                var args: std.meta.ArgsTuple(@TypeOf(Op.scalar)) = undefined;
                inline for (0..n) |k| {
                    const at = firsts[k] + @as(i64, @intCast(i)) * steps[k];
                    args[k] = strided.at(Storage(Op.in_dtypes[k]), @constCast(self.input(k)), at).*;
                }
                out[i] = @call(.auto, Op.scalar, args);
            }
        }

        /// Full vectors of the row; returns how many elements it did.
        fn vectorRow(self: *const @This(), out: []Out, firsts: [n]i64, steps: [n]i64) usize {
            if (!Op.has_vector) unreachable;
            var splats: std.meta.ArgsTuple(@TypeOf(Op.vector)) = undefined;
            inline for (0..n) |k| {
                const first = strided.at(Storage(Op.in_dtypes[k]), @constCast(self.input(k)), firsts[k]).*;
                splats[k] = @splat(first);
            }
            var i: usize = 0;
            while (i + lanes <= out.len) : (i += lanes) {
                var args = splats;
                inline for (0..n) |k| {
                    if (steps[k] == 1) {
                        const T = Storage(Op.in_dtypes[k]);
                        const p = strided.ptrAt(T, @constCast(self.input(k)), firsts[k] + @as(i64, @intCast(i)));
                        args[k] = p[0..lanes].*;
                    }
                }
                out[i..][0..lanes].* = @call(.auto, Op.vector, args);
            }
            return i;
        }
    };
}

/// Lanes of the vectors `run` hands an op's vector form: one 64-byte register of the widest
/// operand.
pub fn Lanes(comptime in_dtypes: []const DType, comptime out_dtype: DType) comptime_int {
    var widest: usize = out_dtype.sizeBytes();
    for (in_dtypes) |d| widest = @max(widest, d.sizeBytes());
    return simd.vector_bytes / widest;
}
