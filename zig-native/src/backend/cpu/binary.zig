//! Elementwise binary kernels over broadcast, strided inputs of one dtype. Rows where both
//! inputs are contiguous or scalar run as SIMD loops; the flat output range is split across
//! the thread pool.

const std = @import("std");
const assert = std.debug.assert;
const dtype_mod = @import("../../dtype.zig");
const shape_mod = @import("../../shape.zig");
const Array = @import("../../array.zig").Array;
const strided = @import("strided.zig");
const pool = @import("pool.zig");
const simd = @import("simd.zig");

const DType = dtype_mod.DType;
const Storage = dtype_mod.Storage;

pub const Op = enum { add, multiply };

/// The scalar definition of each op: the reference the SIMD path must agree with.
fn apply(comptime op: Op, comptime dtype: DType, a: Storage(dtype), b: Storage(dtype)) Storage(dtype) {
    const T = Storage(dtype);
    switch (dtype) {
        .bool_ => return switch (op) {
            .add => a | b,
            .multiply => a & b,
        },
        .bfloat16 => return T.fromF32(apply(op, .float32, a.toF32(), b.toF32())),
        .complex64 => return switch (op) {
            .add => .{ .re = a.re + b.re, .im = a.im + b.im },
            .multiply => .{ .re = a.re * b.re - a.im * b.im, .im = a.re * b.im + a.im * b.re },
        },
        else => {},
    }
    return applyVector(op, T, a, b);
}

/// The same op on plain numbers or vectors of them (integers wrap, as in MLX).
inline fn applyVector(comptime op: Op, comptime V: type, a: V, b: V) V {
    const is_int = @typeInfo(simd.Scalar(V)) == .int;
    return switch (op) {
        .add => if (is_int) a +% b else a + b,
        .multiply => if (is_int) a *% b else a * b,
    };
}

fn Kernel(comptime op: Op, comptime dtype: DType) type {
    const T = Storage(dtype);
    const vectorizable = switch (dtype) {
        .bool_, .bfloat16, .complex64 => false,
        else => true,
    };
    return struct {
        loop: strided.Loop(3),
        out: [*]T,
        a: [*]const T,
        b: [*]const T,

        fn runRange(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const @This() = @ptrCast(@alignCast(context));
            const row_length: usize = @intCast(self.loop.rowLength());
            const stride_a = self.loop.rowStride(1);
            const stride_b = self.loop.rowStride(2);
            var index = start;
            while (index < end) {
                const row = index / row_length;
                const column = index % row_length;
                const count = @min(row_length - column, end - index);
                const offsets = self.loop.rowOffsets(@intCast(row));
                const col: i64 = @intCast(column);
                const out = self.out + @as(usize, @intCast(offsets[0] + col));
                const a = self.a + @as(usize, @intCast(offsets[1] + col * stride_a));
                const b = self.b + @as(usize, @intCast(offsets[2] + col * stride_b));
                row_kernel(out[0..count], a, stride_a, b, stride_b);
                index += count;
            }
        }

        fn row_kernel(out: []T, a: [*]const T, stride_a: i64, b: [*]const T, stride_b: i64) void {
            if (vectorizable and stride_a == 1 and stride_b == 1) {
                simd.map2(T, out, a, b, .vector, .vector, applyVector, op);
            } else if (vectorizable and stride_a == 0 and stride_b == 1) {
                simd.map2(T, out, a, b, .scalar, .vector, applyVector, op);
            } else if (vectorizable and stride_a == 1 and stride_b == 0) {
                simd.map2(T, out, a, b, .vector, .scalar, applyVector, op);
            } else {
                for (out, 0..) |*slot, i| {
                    const index: i64 = @intCast(i);
                    const x = a[@intCast(index * stride_a)];
                    const y = b[@intCast(index * stride_b)];
                    slot.* = apply(op, dtype, x, y);
                }
            }
        }
    };
}

/// Computes `out = a op b`; `out` is allocated row-major, inputs share its dtype and
/// broadcast to its shape.
pub fn run(op: Op, out: *Array, a: *const Array, b: *const Array) void {
    assert(a.dtype == out.dtype and b.dtype == out.dtype);
    assert(out.isRowContiguous());
    switch (op) {
        inline else => |comptime_op| switch (out.dtype) {
            inline else => |dtype| runTyped(comptime_op, dtype, out, a, b),
        },
    }
}

fn runTyped(comptime op: Op, comptime dtype: DType, out: *Array, a: *const Array, b: *const Array) void {
    const T = Storage(dtype);
    const total: usize = @intCast(out.shape.size());
    if (total == 0) return;
    const kernel: Kernel(op, dtype) = .{
        .loop = strided.Loop(3).init(out.shape, .{
            out.strides,
            shape_mod.broadcastStrides(a.shape, a.strides, out.shape),
            shape_mod.broadcastStrides(b.shape, b.strides, out.shape),
        }),
        .out = out.dataPtr(T),
        .a = a.dataPtr(T),
        .b = b.dataPtr(T),
    };
    assert(kernel.loop.rowStride(0) == 1);
    pool.parallelFor(total, simd.parallel_grain_elements, &kernel, Kernel(op, dtype).runRange);
}
