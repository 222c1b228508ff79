//! Element conversion between any two dtypes, with defined results where C leaves them
//! undefined: float to integer truncates toward zero and saturates, NaN becomes 0.

const std = @import("std");
const dtype_mod = @import("../../dtype.zig");
const DType = dtype_mod.DType;
const Storage = dtype_mod.Storage;
const BFloat16 = dtype_mod.BFloat16;

pub fn convert(comptime to: DType, comptime from: DType, value: Storage(from)) Storage(to) {
    if (to == from) return value;
    if (to == .bool_) return @intFromBool(isNonZero(from, value));
    if (from == .complex64) return convert(to, .float32, value.re);
    if (to == .complex64) return .{ .re = convert(.float32, from, value), .im = 0 };
    if (from == .bfloat16) return convert(to, .float32, value.toF32());
    if (to == .bfloat16) return BFloat16.fromF32(convert(.float32, from, value));
    const From = Storage(from);
    const To = Storage(to);
    return switch (@typeInfo(To)) {
        .float => switch (@typeInfo(From)) {
            .float => @floatCast(value),
            .int => @floatFromInt(value),
            else => comptime unreachable,
        },
        .int => switch (@typeInfo(From)) {
            .int => wrapInt(To, From, value),
            .float => saturateFloat(To, From, value),
            else => comptime unreachable,
        },
        else => comptime unreachable,
    };
}

fn isNonZero(comptime from: DType, value: Storage(from)) bool {
    return switch (from) {
        .complex64 => value.re != 0 or value.im != 0,
        .bfloat16 => value.toF32() != 0,
        else => value != 0,
    };
}

/// C's integer conversion: extend with the source's signedness, then keep the low bits.
fn wrapInt(comptime To: type, comptime From: type, value: From) To {
    const from_info = @typeInfo(From).int;
    const to_bits = @typeInfo(To).int.bits;
    if (to_bits <= from_info.bits) {
        const FromBits = std.meta.Int(.unsigned, from_info.bits);
        const ToBits = std.meta.Int(.unsigned, to_bits);
        return @bitCast(@as(ToBits, @truncate(@as(FromBits, @bitCast(value)))));
    }
    const Wide = std.meta.Int(from_info.signedness, to_bits);
    return @bitCast(@as(Wide, value));
}

fn saturateFloat(comptime To: type, comptime From: type, value: From) To {
    if (std.math.isNan(value)) return 0;
    const low: From = @floatFromInt(std.math.minInt(To));
    const high: From = @floatFromInt(std.math.maxInt(To));
    if (value <= low) return std.math.minInt(To);
    if (value >= high) return std.math.maxInt(To);
    return @intFromFloat(value);
}

test "conversions are defined at the edges" {
    const t = std.testing;
    try t.expectEqual(@as(i32, 0), convert(.int32, .float32, std.math.nan(f32)));
    try t.expectEqual(@as(i32, std.math.maxInt(i32)), convert(.int32, .float32, 1e20));
    try t.expectEqual(@as(u8, 0), convert(.uint8, .float32, -5.5));
    try t.expectEqual(@as(i8, -3), convert(.int8, .float64, -3.9));
    try t.expectEqual(@as(u8, 255), convert(.uint8, .int32, -1));
    try t.expectEqual(@as(i64, -1), convert(.int64, .int8, -1));
    try t.expectEqual(@as(u64, std.math.maxInt(u64)), convert(.uint64, .int8, -1));
    try t.expectEqual(@as(u8, 1), convert(.bool_, .float32, 0.5));
    try t.expectEqual(@as(f32, 1), convert(.float32, .bool_, 1));
    try t.expectEqual(@as(f32, 2.5), convert(.bfloat16, .float32, 2.5).toF32());
    try t.expectEqual(@as(f16, 3), convert(.float16, .int64, 3));
    try t.expectEqual(@as(f32, 4), convert(.complex64, .uint16, 4).re);
}
