//! SIMD helpers shared by the CPU kernels: vector widths, and loops that apply a vector
//! function over rows with a scalar tail.

const std = @import("std");
const builtin = @import("builtin");

/// Bytes per SIMD register the kernels target (AVX-512; narrower CPUs split the vector).
pub const vector_bytes = 64;

/// Whether the target fuses a*b+c in one instruction (x86-64 v3 and up, aarch64).
pub const has_fma = switch (builtin.cpu.arch) {
    .x86_64, .x86 => std.Target.x86.featureSetHas(builtin.cpu.features, .fma),
    .aarch64 => true,
    else => false,
};

/// a*b+c: fused where the target has FMA, else a multiply and an add (`@mulAdd` without FMA
/// is a call to the software fma per lane, 10-20x slower).
pub inline fn mulAdd(comptime V: type, a: V, b: V, c: V) V {
    return if (has_fma) @mulAdd(V, a, b, c) else a * b + c;
}

/// Fewest elements worth handing to another thread.
pub const parallel_grain_elements = 1 << 14;

pub fn lanes(comptime T: type) comptime_int {
    return @max(1, vector_bytes / @sizeOf(T));
}

pub fn Vec(comptime T: type) type {
    return @Vector(lanes(T), T);
}

/// The element type of a vector type, or the type itself.
pub fn Scalar(comptime V: type) type {
    return switch (@typeInfo(V)) {
        .vector => |info| info.child,
        else => V,
    };
}

pub const Operand = enum { vector, scalar };

/// out[i] = f(a[i], b[i]) where an operand marked `.scalar` is the single value a[0] / b[0].
pub inline fn map2(
    comptime T: type,
    out: []T,
    a: [*]const T,
    b: [*]const T,
    comptime kind_a: Operand,
    comptime kind_b: Operand,
    comptime f: anytype,
    comptime op: anytype,
) void {
    const V = Vec(T);
    const n = lanes(T);
    const splat_a: V = @splat(a[0]);
    const splat_b: V = @splat(b[0]);
    var i: usize = 0;
    while (i + n <= out.len) : (i += n) {
        const va: V = if (kind_a == .vector) a[i..][0..n].* else splat_a;
        const vb: V = if (kind_b == .vector) b[i..][0..n].* else splat_b;
        out[i..][0..n].* = f(op, V, va, vb);
    }
    while (i < out.len) : (i += 1) {
        const x = if (kind_a == .vector) a[i] else a[0];
        const y = if (kind_b == .vector) b[i] else b[0];
        out[i] = f(op, T, x, y);
    }
}

/// `n` elements of a float type (f32, f16 or bfloat16) widened to f32 lanes.
pub inline fn loadF32(comptime T: type, comptime n: comptime_int, p: [*]const T) @Vector(n, f32) {
    if (T == f32) return p[0..n].*;
    if (T == f16) return @floatCast(@as(@Vector(n, f16), p[0..n].*));
    // bfloat16: the upper half of an f32.
    const raw: @Vector(n, u16) = @bitCast(@as([n]u16, @bitCast(p[0..n].*)));
    return @bitCast(@as(@Vector(n, u32), raw) << @splat(16));
}

/// Stores f32 lanes as `n` elements of a float type, rounding to nearest even (bfloat16:
/// NaN stays a quiet NaN, as BFloat16.fromF32).
pub inline fn storeF32(comptime T: type, comptime n: comptime_int, p: [*]T, value: @Vector(n, f32)) void {
    if (T == f32) {
        p[0..n].* = value;
    } else if (T == f16) {
        p[0..n].* = @as([n]f16, @as(@Vector(n, f16), @floatCast(value)));
    } else {
        const U = @Vector(n, u32);
        const bits: U = @bitCast(value);
        const rounded: U = (bits +% (@as(U, @splat(0x7fff)) + ((bits >> @splat(16)) & @as(U, @splat(1))))) >> @splat(16);
        const nan: U = (bits >> @splat(16)) | @as(U, @splat(0x0040));
        const halves: @Vector(n, u16) = @truncate(@select(u32, value != value, nan, rounded));
        p[0..n].* = @bitCast(@as([n]u16, halves));
    }
}

test "loadF32 and storeF32 round-trip every float type" {
    const dtype = @import("../../dtype.zig");
    inline for (.{ f32, f16, dtype.BFloat16 }) |T| {
        var values: [16]T = undefined;
        const source: @Vector(16, f32) = .{ 1, -2, 0.5, 3.25, 0, -0.0, 1024, 7, 1.5, -8, 2, 4, 0.25, -1, 9, 6 };
        storeF32(T, 16, &values, source);
        try std.testing.expectEqual(source, loadF32(T, 16, &values));
    }
    var one: [16]dtype.BFloat16 = undefined;
    storeF32(dtype.BFloat16, 16, &one, @splat(1.0 + 0x1p-8));
    try std.testing.expectEqual(@as(u16, dtype.BFloat16.fromF32(1.0 + 0x1p-8).bits), one[0].bits);
}
