//! The order sorts use, per dtype (MLX's): ascending, NaN last (after +inf), false before
//! true, complex64 by real part then imaginary part (a complex with a NaN part sorts last).
//! `less` is the reference definition; kernels sort `Entry` integers instead: the value's
//! `key` (an unsigned integer in the same order) above its position in the line, so plain
//! integer order sorts by value, then position: stable, and with every entry distinct.

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
            const wide_a = cast.convert(.float32, dtype, a);
            const wide_b = cast.convert(.float32, dtype, b);
            return less(.float32, wide_a, wide_b);
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

/// An unsigned key per dtype whose integer order is `less`'s order: equal keys exactly for
/// equivalent values (every NaN one key, -0.0 and +0.0 one key).
pub fn Key(comptime dtype: DType) type {
    return switch (dtype) {
        .uint64, .int64, .float64, .complex64 => u64,
        else => u32,
    };
}

pub fn key(comptime dtype: DType, value: Storage(dtype)) Key(dtype) {
    return switch (dtype) {
        .bool_, .uint8, .uint16, .uint32, .uint64 => value,
        .int8, .int16, .int32 => @as(u32, @bitCast(@as(i32, value))) ^ (1 << 31),
        .int64 => @as(u64, @bitCast(value)) ^ (1 << 63),
        .float16, .bfloat16 => floatKey(f32, cast.convert(.float32, dtype, value)),
        .float32, .float64 => floatKey(Storage(dtype), value),
        .complex64 => {
            if (std.math.isNan(value.re) or std.math.isNan(value.im)) return std.math.maxInt(u64);
            return (@as(u64, floatKey(f32, value.re)) << 32) | floatKey(f32, value.im);
        },
    };
}

/// IEEE bits made to order as integers: negatives flipped, positives above them with the
/// sign bit set; zeros share +0.0's key; NaN takes the largest key, above +inf's.
fn floatKey(comptime F: type, value: F) std.meta.Int(.unsigned, @bitSizeOf(F)) {
    const U = std.meta.Int(.unsigned, @bitSizeOf(F));
    const sign: U = 1 << (@bitSizeOf(F) - 1);
    if (std.math.isNan(value)) return std.math.maxInt(U);
    if (value == 0) return sign;
    const bits: U = @bitCast(value);
    return if (bits & sign != 0) ~bits else bits | sign;
}

/// A key and a position along the line in one integer (the position in the low 32 bits):
/// entries order by value, ties by position, so every sort of them is stable and every
/// entry distinct.
pub fn Entry(comptime dtype: DType) type {
    return if (Key(dtype) == u32) u64 else u128;
}

pub fn entry(comptime dtype: DType, value: Storage(dtype), index: u32) Entry(dtype) {
    return (@as(Entry(dtype), key(dtype, value)) << 32) | index;
}

pub fn entryIndex(comptime dtype: DType, item: Entry(dtype)) u32 {
    return @truncate(item);
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

fn expectKeyOrderMatches(comptime dtype: DType, samples: []const Storage(dtype)) !void {
    for (samples) |a| {
        for (samples) |b| {
            try std.testing.expectEqual(less(dtype, a, b), key(dtype, a) < key(dtype, b));
        }
    }
}

test "keys order every dtype as less does" {
    const nan = std.math.nan(f64);
    const inf = std.math.inf(f64);
    const floats = [_]f64{ nan, -nan, inf, -inf, 0.0, -0.0, 1.5, -1.5, 1e-310, -1e-310, 3e38, 7 };
    inline for (.{ DType.float16, DType.bfloat16, DType.float32, DType.float64 }) |dtype| {
        var samples: [floats.len]Storage(dtype) = undefined;
        for (&samples, floats) |*sample, value| sample.* = cast.convert(dtype, .float64, value);
        try expectKeyOrderMatches(dtype, &samples);
    }
    try expectKeyOrderMatches(.int8, &.{ -128, -1, 0, 1, 127 });
    try expectKeyOrderMatches(.int16, &.{ -32768, -300, 0, 300, 32767 });
    try expectKeyOrderMatches(.int32, &.{ std.math.minInt(i32), -1, 0, 1, std.math.maxInt(i32) });
    try expectKeyOrderMatches(.int64, &.{ std.math.minInt(i64), -1, 0, 1, std.math.maxInt(i64) });
    try expectKeyOrderMatches(.uint64, &.{ 0, 1, 1 << 63, std.math.maxInt(u64) });
    try expectKeyOrderMatches(.bool_, &.{ 0, 1 });
    const f_nan = std.math.nan(f32);
    try expectKeyOrderMatches(.complex64, &.{
        .{ .re = 1, .im = 2 },     .{ .re = 1, .im = -2 },    .{ .re = -1, .im = 9 },
        .{ .re = f_nan, .im = 0 }, .{ .re = 0, .im = f_nan }, .{ .re = -0.0, .im = 0 },
        .{ .re = 0, .im = -0.0 },
    });
}

test "entries order by key, then position" {
    try std.testing.expect(entry(.int32, 3, 1) < entry(.int32, 3, 2));
    try std.testing.expect(entry(.int32, 2, 9) < entry(.int32, 3, 0));
    try std.testing.expect(entry(.int32, -5, 9) < entry(.int32, 3, 0));
    try std.testing.expectEqual(@as(u32, 7), entryIndex(.float64, entry(.float64, -2.5, 7)));
}
