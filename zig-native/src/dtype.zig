//! Element types: their codes (shared with the TypeScript side), sizes, storage types, and
//! MLX's type-promotion rules.

const std = @import("std");
const assert = std.debug.assert;

/// The element type of an array. The integer values cross the C ABI and match `src/dtype.ts`.
pub const DType = enum(u8) {
    bool_ = 0,
    uint8 = 1,
    uint16 = 2,
    uint32 = 3,
    uint64 = 4,
    int8 = 5,
    int16 = 6,
    int32 = 7,
    int64 = 8,
    float16 = 9,
    float32 = 10,
    float64 = 11,
    bfloat16 = 12,
    complex64 = 13,

    pub const count: u8 = @typeInfo(DType).@"enum".fields.len;

    /// Returns the dtype with this code, or null for an unknown code.
    pub fn fromCode(code: u32) ?DType {
        if (code >= count) return null;
        return @enumFromInt(code);
    }

    pub fn sizeBytes(self: DType) u8 {
        return switch (self) {
            inline else => |tag| @sizeOf(Storage(tag)),
        };
    }

    /// The name as MLX prints it (`bool`, `float32`, ...).
    pub fn name(self: DType) []const u8 {
        return if (self == .bool_) "bool" else @tagName(self);
    }

    pub fn isFloating(self: DType) bool {
        return switch (self) {
            .float16, .float32, .float64, .bfloat16 => true,
            else => false,
        };
    }

    pub fn isComplex(self: DType) bool {
        return self == .complex64;
    }

    pub fn isInteger(self: DType) bool {
        return switch (self) {
            .uint8, .uint16, .uint32, .uint64, .int8, .int16, .int32, .int64 => true,
            else => false,
        };
    }
};

/// bfloat16: the upper half of an IEEE float32. Arithmetic goes through f32.
pub const BFloat16 = extern struct {
    bits: u16,

    pub fn toF32(self: BFloat16) f32 {
        const wide: u32 = @as(u32, self.bits) << 16;
        return @bitCast(wide);
    }

    /// Rounds to nearest, ties to even; NaN stays a (quiet) NaN.
    pub fn fromF32(value: f32) BFloat16 {
        const bits: u32 = @bitCast(value);
        if (std.math.isNan(value)) return .{ .bits = @truncate((bits >> 16) | 0x0040) };
        const rounding_bias: u32 = 0x7fff + ((bits >> 16) & 1);
        return .{ .bits = @truncate((bits +% rounding_bias) >> 16) };
    }
};

/// complex64: two float32 values, real first (the layout of C's `float _Complex`).
pub const Complex64 = extern struct {
    re: f32,
    im: f32,
};

/// The Zig type one element is stored as. Booleans are one byte holding 0 or 1.
pub fn Storage(comptime dtype: DType) type {
    return switch (dtype) {
        .bool_ => u8,
        .uint8 => u8,
        .uint16 => u16,
        .uint32 => u32,
        .uint64 => u64,
        .int8 => i8,
        .int16 => i16,
        .int32 => i32,
        .int64 => i64,
        .float16 => f16,
        .float32 => f32,
        .float64 => f64,
        .bfloat16 => BFloat16,
        .complex64 => Complex64,
    };
}

// MLX's promotion table, read off mlx 0.32 (`(zeros(a) + zeros(b)).dtype` for every pair),
// indexed by DType code. Note the MLX-specific entries: (u64, signed int) -> float32,
// (float16, bfloat16) -> float32, (float64, complex64) -> complex64.
const promotion_table: [DType.count][DType.count]DType = blk: {
    const b = DType.bool_;
    const u_8 = DType.uint8;
    const u16_ = DType.uint16;
    const u32_ = DType.uint32;
    const u64_ = DType.uint64;
    const i_8 = DType.int8;
    const i16_ = DType.int16;
    const i32_ = DType.int32;
    const i64_ = DType.int64;
    const f16_ = DType.float16;
    const f32_ = DType.float32;
    const f64_ = DType.float64;
    const bf = DType.bfloat16;
    const c = DType.complex64;
    // Columns in code order: b u8 u16 u32 u64 i8 i16 i32 i64 f16 f32 f64 bf16 c64.
    break :blk .{
        .{ b, u_8, u16_, u32_, u64_, i_8, i16_, i32_, i64_, f16_, f32_, f64_, bf, c },
        .{ u_8, u_8, u16_, u32_, u64_, i16_, i16_, i32_, i64_, f16_, f32_, f64_, bf, c },
        .{ u16_, u16_, u16_, u32_, u64_, i32_, i32_, i32_, i64_, f16_, f32_, f64_, bf, c },
        .{ u32_, u32_, u32_, u32_, u64_, i64_, i64_, i64_, i64_, f16_, f32_, f64_, bf, c },
        .{ u64_, u64_, u64_, u64_, u64_, f32_, f32_, f32_, f32_, f16_, f32_, f64_, bf, c },
        .{ i_8, i16_, i32_, i64_, f32_, i_8, i16_, i32_, i64_, f16_, f32_, f64_, bf, c },
        .{ i16_, i16_, i32_, i64_, f32_, i16_, i16_, i32_, i64_, f16_, f32_, f64_, bf, c },
        .{ i32_, i32_, i32_, i64_, f32_, i32_, i32_, i32_, i64_, f16_, f32_, f64_, bf, c },
        .{ i64_, i64_, i64_, i64_, f32_, i64_, i64_, i64_, i64_, f16_, f32_, f64_, bf, c },
        .{ f16_, f16_, f16_, f16_, f16_, f16_, f16_, f16_, f16_, f16_, f32_, f64_, f32_, c },
        .{ f32_, f32_, f32_, f32_, f32_, f32_, f32_, f32_, f32_, f32_, f32_, f64_, f32_, c },
        .{ f64_, f64_, f64_, f64_, f64_, f64_, f64_, f64_, f64_, f64_, f64_, f64_, f64_, c },
        .{ bf, bf, bf, bf, bf, bf, bf, bf, bf, f32_, f32_, f64_, bf, c },
        .{ c, c, c, c, c, c, c, c, c, c, c, c, c, c },
    };
};

/// The dtype of `a op b` under MLX's promotion rules.
pub fn promote(a: DType, b: DType) DType {
    return promotion_table[@intFromEnum(a)][@intFromEnum(b)];
}

/// The dtype MLX gives `sum` and `prod` of an array of this dtype: small integers widen.
pub fn sumDtype(input: DType) DType {
    return switch (input) {
        .bool_, .int8, .int16, .int32 => .int32,
        .uint8, .uint16, .uint32 => .uint32,
        else => input,
    };
}

test "promotion is symmetric and idempotent" {
    for (0..DType.count) |i| {
        const a: DType = @enumFromInt(i);
        try std.testing.expectEqual(a, promote(a, a));
        for (0..DType.count) |j| {
            const b: DType = @enumFromInt(j);
            try std.testing.expectEqual(promote(a, b), promote(b, a));
        }
    }
}

test "bfloat16 rounds to nearest even" {
    try std.testing.expectEqual(@as(f32, 1.0), BFloat16.fromF32(1.0).toF32());
    // 1 + 2^-8 lies halfway between two bfloat16 values: ties go to the even one (1.0).
    try std.testing.expectEqual(@as(f32, 1.0), BFloat16.fromF32(1.0 + 1.0 / 256.0).toF32());
    try std.testing.expect(std.math.isNan(BFloat16.fromF32(std.math.nan(f32)).toF32()));
    try std.testing.expectEqual(@as(u8, 2), DType.bfloat16.sizeBytes());
    try std.testing.expectEqual(@as(u8, 8), DType.complex64.sizeBytes());
}
