//! SIMD helpers shared by the CPU kernels: vector widths, and loops that apply a vector
//! function over rows with a scalar tail.

const std = @import("std");

/// Bytes per SIMD register the kernels target (AVX-512; narrower CPUs split the vector).
pub const vector_bytes = 64;

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
