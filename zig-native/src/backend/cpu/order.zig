//! The order sorts use, per dtype (MLX's): ascending, NaN last (after +inf), false before
//! true, complex64 by real part then imaginary part (a complex with a NaN part sorts last).
//! `Entry` pairs a value with its position in the line; ordering entries by value, then
//! position, makes every sort stable and every key distinct.

const std = @import("std");
const assert = std.debug.assert;
const dtype_mod = @import("../../dtype.zig");
const cast = @import("cast.zig");

const DType = dtype_mod.DType;
const Storage = dtype_mod.Storage;

/// Whether `a` sorts strictly before `b`. A strict weak order: all NaNs are equivalent, and
/// -0.0 and +0.0 are equivalent.
pub fn less(comptime dtype: DType, a: Storage(dtype), b: Storage(dtype)) bool {
    switch (dtype) {
        .float16, .bfloat16 => {
            return less(.float32, cast.convert(.float32, dtype, a), cast.convert(.float32, dtype, b));
        },
        .complex64 => {
            const a_nan = std.math.isNan(a.re) or std.math.isNan(a.im);
            const b_nan = std.math.isNan(b.re) or std.math.isNan(b.im);
            if (a_nan) return false;
            if (b_nan) return true;
            return a.re < b.re or (a.re == b.re and a.im < b.im);
        },
        .float32, .float64 => {
            if (a != a) return false;
            if (b != b) return true;
            return a < b;
        },
        else => return a < b,
    }
}

/// A value and its position along its line.
pub fn Entry(comptime dtype: DType) type {
    return struct {
        value: Storage(dtype),
        index: u32,

        /// By value, ties by position: a total order (positions are distinct).
        pub fn lessThan(_: void, a: @This(), b: @This()) bool {
            if (less(dtype, a.value, b.value)) return true;
            if (less(dtype, b.value, a.value)) return false;
            return a.index < b.index;
        }
    };
}

test "NaN sorts last, after +inf; -0.0 and +0.0 tie" {
    const nan = std.math.nan(f32);
    const inf = std.math.inf(f32);
    try std.testing.expect(less(.float32, inf, nan));
    try std.testing.expect(!less(.float32, nan, inf));
    try std.testing.expect(!less(.float32, nan, nan));
    try std.testing.expect(!less(.float32, -0.0, 0.0) and !less(.float32, 0.0, -0.0));
    try std.testing.expect(less(.float16, @as(f16, -1), @as(f16, 0.5)));
    try std.testing.expect(less(.bool_, 0, 1));
}

test "complex64 orders by real part, then imaginary part; NaN parts last" {
    const C = dtype_mod.Complex64;
    const nan = std.math.nan(f32);
    try std.testing.expect(less(.complex64, C{ .re = 1, .im = 5 }, C{ .re = 2, .im = -5 }));
    try std.testing.expect(less(.complex64, C{ .re = 1, .im = -1 }, C{ .re = 1, .im = 0 }));
    try std.testing.expect(less(.complex64, C{ .re = 9, .im = 0 }, C{ .re = 0, .im = nan }));
    try std.testing.expect(!less(.complex64, C{ .re = nan, .im = 0 }, C{ .re = 9, .im = 0 }));
}

test "entries tie-break by position" {
    const E = Entry(.int32);
    try std.testing.expect(E.lessThan({}, .{ .value = 3, .index = 1 }, .{ .value = 3, .index = 2 }));
    try std.testing.expect(!E.lessThan({}, .{ .value = 3, .index = 2 }, .{ .value = 3, .index = 1 }));
    try std.testing.expect(E.lessThan({}, .{ .value = 2, .index = 9 }, .{ .value = 3, .index = 0 }));
}
