//! Reduction kernels. The input is viewed with its kept axes first and its reduced axes last;
//! each output element reduces one (collapsed) block of the input, with a SIMD loop when that
//! block is contiguous. Output elements are split across the thread pool.

const std = @import("std");
const assert = std.debug.assert;
const dtype_mod = @import("../../dtype.zig");
const shape_mod = @import("../../shape.zig");
const Array = @import("../../array.zig").Array;
const strided = @import("strided.zig");
const pool = @import("pool.zig");
const simd = @import("simd.zig");
const cast = @import("cast.zig");

const DType = dtype_mod.DType;
const Storage = dtype_mod.Storage;

pub const Op = enum { sum };

/// The type sums accumulate in: float32 for the 16-bit floats, else the output type.
fn Accumulator(comptime out_dtype: DType) DType {
    return switch (out_dtype) {
        .float16, .bfloat16 => .float32,
        else => out_dtype,
    };
}

fn add(comptime dtype: DType, a: Storage(dtype), b: Storage(dtype)) Storage(dtype) {
    return switch (dtype) {
        .complex64 => .{ .re = a.re + b.re, .im = a.im + b.im },
        .bfloat16, .float16 => comptime unreachable,
        else => if (@typeInfo(Storage(dtype)) == .int) a +% b else a + b,
    };
}

fn Kernel(comptime in_dtype: DType, comptime out_dtype: DType) type {
    const In = Storage(in_dtype);
    const Out = Storage(out_dtype);
    const acc_dtype = Accumulator(out_dtype);
    const Acc = Storage(acc_dtype);
    const vectorizable = in_dtype == acc_dtype and in_dtype != .complex64;
    return struct {
        /// Iterates the kept axes of the input (operand 0).
        kept: strided.Loop(1),
        /// Iterates the reduced axes of the input (operand 0).
        reduced: strided.Loop(1),
        input: [*]const In,
        out: [*]Out,

        fn runRange(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const @This() = @ptrCast(@alignCast(context));
            for (start..end) |out_index| {
                const base = self.keptOffset(out_index);
                var acc: Acc = zero(acc_dtype);
                const rows: usize = @intCast(self.reduced.rowCount());
                for (0..rows) |row| {
                    const offset = base + self.reduced.rowOffsets(@intCast(row))[0];
                    acc = add(acc_dtype, acc, self.reduceRow(offset));
                }
                self.out[out_index] = cast.convert(out_dtype, acc_dtype, acc);
            }
        }

        fn keptOffset(self: *const @This(), out_index: usize) i64 {
            const row_length: usize = @intCast(self.kept.rowLength());
            const row = out_index / row_length;
            const column: i64 = @intCast(out_index % row_length);
            return self.kept.rowOffsets(@intCast(row))[0] + column * self.kept.rowStride(0);
        }

        /// Reduces the reduced-axes row that starts at absolute element index `first`.
        fn reduceRow(self: *const @This(), first: i64) Acc {
            const length: usize = @intCast(self.reduced.rowLength());
            const stride = self.reduced.rowStride(0);
            var acc: Acc = zero(acc_dtype);
            var i: usize = 0;
            if (vectorizable and stride == 1) {
                const row = strided.ptrAt(In, @constCast(self.input), first);
                const n = simd.lanes(Acc);
                var vacc: simd.Vec(Acc) = @splat(zero(acc_dtype));
                while (i + n <= length) : (i += n) {
                    const chunk: simd.Vec(Acc) = row[i..][0..n].*;
                    vacc = if (@typeInfo(Acc) == .int) vacc +% chunk else vacc + chunk;
                }
                acc = @reduce(.Add, vacc);
            }
            while (i < length) : (i += 1) {
                const element = strided.at(In, @constCast(self.input), first + @as(i64, @intCast(i)) * stride).*;
                acc = add(acc_dtype, acc, cast.convert(acc_dtype, in_dtype, element));
            }
            return acc;
        }
    };
}

fn zero(comptime dtype: DType) Storage(dtype) {
    return cast.convert(dtype, .int32, 0);
}

/// Reduces `input` over the axes set in `axes_mask` into `out` (allocated row-major; its
/// element count is that of the kept axes, whether or not they were kept as size 1).
pub fn run(op: Op, out: *Array, input: *const Array, axes_mask: u32) void {
    assert(op == .sum);
    assert(out.isRowContiguous());
    switch (input.dtype) {
        inline else => |in_dtype| {
            const out_dtype = comptime dtype_mod.sumDtype(in_dtype);
            assert(out.dtype == out_dtype);
            runTyped(in_dtype, out_dtype, out, input, axes_mask);
        },
    }
}

fn runTyped(
    comptime in_dtype: DType,
    comptime out_dtype: DType,
    out: *Array,
    input: *const Array,
    axes_mask: u32,
) void {
    var kept_shape: shape_mod.Shape = .{};
    var kept_strides: shape_mod.Strides = @splat(0);
    var reduced_shape: shape_mod.Shape = .{};
    var reduced_strides: shape_mod.Strides = @splat(0);
    for (0..input.shape.ndim) |axis| {
        const dim = input.shape.dims[axis];
        const stride = input.strides[axis];
        if (axes_mask & (@as(u32, 1) << @intCast(axis)) != 0) {
            reduced_shape.dims[reduced_shape.ndim] = dim;
            reduced_strides[reduced_shape.ndim] = stride;
            reduced_shape.ndim += 1;
        } else {
            kept_shape.dims[kept_shape.ndim] = dim;
            kept_strides[kept_shape.ndim] = stride;
            kept_shape.ndim += 1;
        }
    }
    const out_count: usize = @intCast(kept_shape.size());
    assert(out_count == out.shape.size());
    if (out_count == 0) return;
    const K = Kernel(in_dtype, out_dtype);
    const out_ptr = out.dataPtr(Storage(out_dtype));
    if (reduced_shape.size() == 0) {
        for (0..out_count) |i| out_ptr[i] = zero(out_dtype);
        return;
    }
    const kernel: K = .{
        .kept = strided.Loop(1).init(kept_shape, .{kept_strides}, .{input.offset}),
        .reduced = strided.Loop(1).init(reduced_shape, .{reduced_strides}, .{0}),
        .input = input.basePtr(Storage(in_dtype)),
        .out = out_ptr,
    };
    const reduced_count: usize = @intCast(reduced_shape.size());
    const grain = @max(1, simd.parallel_grain_elements / reduced_count);
    pool.parallelFor(out_count, grain, &kernel, K.runRange);
}
