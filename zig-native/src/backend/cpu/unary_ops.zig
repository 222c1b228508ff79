//! The unary elementwise ops: their dtype rules (as MLX has them) and their scalar math, with
//! SIMD forms for the ops that LLVM vectorizes. float32 transcendentals run `vmath.zig` (as
//! vectors and as scalars alike); `reference` keeps the scalar definitions, which in float64
//! are the oracle its tests check them against. float16 and bfloat16 compute in float32.

const std = @import("std");
const assert = std.debug.assert;
const dtype_mod = @import("../../dtype.zig");
const special = @import("special.zig");
const cast = @import("cast.zig");
const binary_ops = @import("binary_ops.zig");
const vmath = @import("vmath.zig");

const DType = dtype_mod.DType;
const Storage = dtype_mod.Storage;
const Complex32 = std.math.Complex(f32);
const cmath = std.math.complex;

/// The order is the ABI's op code (see `mx.*` wrappers in src/ops.ts).
pub const UnaryOp = enum(u8) {
    abs,
    negative,
    sign,
    square,
    sqrt,
    rsqrt,
    reciprocal,
    exp,
    expm1,
    log,
    log2,
    log10,
    log1p,
    sin,
    cos,
    tan,
    arcsin,
    arccos,
    arctan,
    sinh,
    cosh,
    tanh,
    arcsinh,
    arccosh,
    arctanh,
    sigmoid,
    erf,
    erfinv,
    ceil,
    floor,
    round,
    logical_not,
    isnan,
    isinf,
    isfinite,
    isposinf,
    isneginf,
    bitwise_invert,
    degrees,
    radians,
    conjugate,
    real,
    imag,
    /// Identity on values; blocks gradients (see the transforms).
    stop_gradient,
};

pub const Signature = struct {
    /// The dtype the kernel computes in; the input is converted to it first.
    compute: DType,
    out: DType,
};

const Class = enum { boolean, integer, floating, complex };

fn classOf(dtype: DType) Class {
    if (dtype == .bool_) return .boolean;
    if (dtype.isInteger()) return .integer;
    if (dtype.isComplex()) return .complex;
    return .floating;
}

/// The dtypes of `op` applied to `input`, or null where MLX rejects that dtype.
pub fn signature(op: UnaryOp, input: DType) ?Signature {
    const class = classOf(input);
    const is_exact = class == .integer or class == .boolean;
    const same: Signature = .{ .compute = input, .out = input };
    const predicate: Signature = .{ .compute = input, .out = .bool_ };
    return switch (op) {
        .abs => if (class == .complex) .{ .compute = input, .out = .float32 } else same,
        .negative => if (class == .boolean) null else same,
        .sign, .square, .round, .conjugate, .stop_gradient => same,
        .sqrt, .rsqrt, .reciprocal, .exp, .log, .log2, .log10, .log1p, .sin, .cos, .tan, .arcsin,
        .arccos, .arctan, .sinh, .cosh, .tanh, .arcsinh, .arccosh, .arctanh, .degrees, .radians,
        => if (is_exact) .{ .compute = .float32, .out = .float32 } else same,
        .expm1, .sigmoid, .erf, .erfinv => switch (class) {
            .complex => null,
            .integer, .boolean => .{ .compute = .float32, .out = .float32 },
            .floating => same,
        },
        .ceil, .floor => if (class == .complex) null else same,
        .logical_not, .isnan, .isinf, .isfinite, .isposinf, .isneginf => predicate,
        .bitwise_invert => if (is_exact) same else null,
        .real, .imag => if (class == .complex) .{ .compute = input, .out = .float32 } else same,
    };
}

/// Whether `op` has a SIMD form in `compute`: float32/float64 math written with
/// vector-capable builtins, the float32 ops of `vmath.zig`, and float16 through float32.
pub fn vectorizable(op: UnaryOp, compute: DType) bool {
    return switch (compute) {
        .float32 => simdMath(op) or plainVector(op),
        .float64 => plainVector(op),
        .float16 => vectorizable(op, .float32),
        else => false,
    };
}

fn plainVector(op: UnaryOp) bool {
    return switch (op) {
        .abs, .negative, .square, .sqrt, .rsqrt, .reciprocal, .exp, .log, .log2, .log10, .sin,
        .cos, .ceil, .floor, .degrees, .radians, .sigmoid, .conjugate, .real, .stop_gradient => true,
        else => false,
    };
}

/// Ops whose float32 math is `vmath.zig`'s.
fn simdMath(op: UnaryOp) bool {
    return switch (op) {
        .exp, .expm1, .log, .log2, .log10, .log1p, .sin, .cos, .tanh, .sigmoid, .erf, .erfinv,
        => true,
        else => false,
    };
}

/// `op` on one element (or a vector of elements, for ops `vectorizable` in `compute`).
pub fn apply(comptime op: UnaryOp, comptime compute: DType, comptime out: DType, x: anytype) Out(out, @TypeOf(x)) {
    comptime assert(signature(op, compute) != null);
    if (@typeInfo(@TypeOf(x)) == .vector) {
        comptime assert(vectorizable(op, compute));
        if (compute == .float16) {
            comptime assert(out == .float16);
            const wide: @Vector(@typeInfo(@TypeOf(x)).vector.len, f32) = @floatCast(x);
            return @floatCast(floating(op, .float32, wide));
        }
    }
    return switch (compute) {
        .float16, .bfloat16 => blk: {
            const wide_out = comptime promoteOut(out);
            const result = apply(op, .float32, wide_out, cast.convert(.float32, compute, x));
            break :blk cast.convert(out, wide_out, result);
        },
        .float32, .float64 => floating(op, out, x),
        .complex64 => complex(op, out, x),
        else => exact(op, compute, out, x),
    };
}

/// The output type for an input of type X: a vector of outputs for a vector input.
fn Out(comptime out: DType, comptime X: type) type {
    return switch (@typeInfo(X)) {
        .vector => |v| @Vector(v.len, Storage(out)),
        else => Storage(out),
    };
}

/// float16/bfloat16 ops compute in float32 and round once at the end.
fn promoteOut(out: DType) DType {
    return switch (out) {
        .float16, .bfloat16 => .float32,
        else => out,
    };
}

fn floating(comptime op: UnaryOp, comptime out: DType, x: anytype) Out(out, @TypeOf(x)) {
    const is_f32 = switch (@typeInfo(@TypeOf(x))) {
        .vector => |v| v.child == f32,
        else => @TypeOf(x) == f32,
    };
    if (comptime is_f32 and simdMath(op)) return switch (op) {
        .exp => vmath.exp(x),
        .expm1 => vmath.expm1(x),
        .log => vmath.log(x),
        .log2 => vmath.log2(x),
        .log10 => vmath.log10(x),
        .log1p => vmath.log1p(x),
        .tanh => vmath.tanh(x),
        .sin => vmath.sin(x),
        .cos => vmath.cos(x),
        .sigmoid => vmath.sigmoid(x),
        .erf => vmath.erf(x),
        .erfinv => vmath.erfinv(x),
        else => comptime unreachable,
    };
    return reference(op, out, x);
}

/// The scalar (and plain vector) definitions of the float32/float64 ops. For the ops of
/// `vmath.zig` this is float64's math, and the float32 results are tested against it.
pub fn reference(comptime op: UnaryOp, comptime out: DType, x: anytype) Out(out, @TypeOf(x)) {
    const X = @TypeOf(x);
    const T = switch (@typeInfo(X)) {
        .vector => |v| v.child,
        else => X,
    };
    const one: X = if (X == T) 1 else @splat(1);
    return switch (op) {
        .abs => @abs(x),
        .negative => -x,
        .square => x * x,
        .sqrt => @sqrt(x),
        .rsqrt => one / @sqrt(x),
        .reciprocal => one / x,
        .exp => @exp(x),
        .log => @log(x),
        .log2 => @log2(x),
        .log10 => @log10(x),
        .sin => @sin(x),
        .cos => @cos(x),
        .ceil => @ceil(x),
        .floor => @floor(x),
        .degrees => x * scalarLike(X, 180.0 / std.math.pi),
        .radians => x * scalarLike(X, std.math.pi / 180.0),
        .sigmoid => one / (one + @exp(-x)),
        .conjugate, .real, .stop_gradient => x,
        .imag => 0,
        .sign => if (x > 0) 1 else if (x < 0) -1 else 0, // NaN gives 0, as in MLX
        .tan => @tan(x),
        .expm1 => std.math.expm1(x),
        .log1p => std.math.log1p(x),
        .arcsin => std.math.asin(x),
        .arccos => std.math.acos(x),
        .arctan => std.math.atan(x),
        .sinh => std.math.sinh(x),
        .cosh => std.math.cosh(x),
        .tanh => std.math.tanh(x),
        .arcsinh => std.math.asinh(x),
        .arccosh => std.math.acosh(x),
        .arctanh => std.math.atanh(x),
        .erf => @floatCast(special.erf(x)),
        .erfinv => @floatCast(special.erfinv(x)),
        .round => roundHalfEven(x),
        .logical_not => @intFromBool(x == 0),
        .isnan => @intFromBool(std.math.isNan(x)),
        .isinf => @intFromBool(std.math.isInf(x)),
        .isfinite => @intFromBool(std.math.isFinite(x)),
        .isposinf => @intFromBool(std.math.isPositiveInf(x)),
        .isneginf => @intFromBool(std.math.isNegativeInf(x)),
        .bitwise_invert => comptime unreachable,
    };
}

fn scalarLike(comptime X: type, value: comptime_float) X {
    return switch (@typeInfo(X)) {
        .vector => @splat(value),
        else => value,
    };
}

/// Rounds to the nearest integer, ties to even (C's rint), as MLX does.
fn roundHalfEven(x: anytype) @TypeOf(x) {
    const rounded = @round(x); // ties away from zero
    if (@abs(x - @trunc(x)) == 0.5) return 2.0 * @round(x * 0.5);
    return rounded;
}

fn exact(comptime op: UnaryOp, comptime compute: DType, comptime out: DType, x: anytype) Out(out, @TypeOf(x)) {
    const X = @TypeOf(x);
    const is_bool = compute == .bool_;
    const signed = comptime switch (@typeInfo(Storage(compute))) {
        .int => |info| info.signedness == .signed,
        else => false,
    };
    return switch (op) {
        .abs => if (signed) @bitCast(@abs(x)) else x,
        .negative => 0 -% x,
        .sign => if (is_bool) x else if (signed) @as(X, @intFromBool(x > 0)) - @intFromBool(x < 0) else @intFromBool(x > 0),
        .square => if (is_bool) x else x *% x,
        .ceil, .floor, .round, .conjugate, .real, .stop_gradient => x,
        .imag => 0,
        .logical_not => @intFromBool(x == 0),
        .isnan, .isinf, .isposinf, .isneginf => 0,
        .isfinite => 1,
        .bitwise_invert => if (is_bool) x ^ 1 else ~x,
        else => comptime unreachable,
    };
}

fn complex(comptime op: UnaryOp, comptime out: DType, x: dtype_mod.Complex64) Storage(out) {
    const z = Complex32.init(x.re, x.im);
    const result: Complex32 = switch (op) {
        .abs => return std.math.hypot(x.re, x.im),
        .real => return x.re,
        .imag => return x.im,
        .isnan => return @intFromBool(std.math.isNan(x.re) or std.math.isNan(x.im)),
        .isinf => return @intFromBool(std.math.isInf(x.re) or std.math.isInf(x.im)),
        .isfinite => return @intFromBool(std.math.isFinite(x.re) and std.math.isFinite(x.im)),
        .isposinf => return @intFromBool(std.math.isPositiveInf(x.re)),
        .isneginf => return @intFromBool(std.math.isNegativeInf(x.re)),
        .logical_not => return @intFromBool(x.re == 0 and x.im == 0),
        .stop_gradient => return x,
        .negative => z.neg(),
        .conjugate => z.conjugate(),
        .square => z.mul(z),
        .sign => blk: {
            const magnitude = std.math.hypot(x.re, x.im);
            if (magnitude == 0) break :blk Complex32.init(0, 0);
            break :blk Complex32.init(x.re / magnitude, x.im / magnitude);
        },
        .sqrt => cmath.sqrt(z),
        .rsqrt => binary_ops.divide(Complex32.init(1, 0), cmath.sqrt(z)),
        .reciprocal => binary_ops.divide(Complex32.init(1, 0), z),
        .exp => cmath.exp(z),
        .log => cmath.log(z),
        .log2 => scale(cmath.log(z), 1.0 / std.math.ln2),
        .log10 => scale(cmath.log(z), 1.0 / std.math.ln10),
        .log1p => cmath.log(Complex32.init(x.re + 1, x.im)),
        .sin => cmath.sin(z),
        .cos => cmath.cos(z),
        .tan => cmath.tan(z),
        .arcsin => cmath.asin(z),
        .arccos => cmath.acos(z),
        .arctan => cmath.atan(z),
        .sinh => cmath.sinh(z),
        .cosh => cmath.cosh(z),
        .tanh => cmath.tanh(z),
        .arcsinh => cmath.asinh(z),
        .arccosh => cmath.acosh(z),
        .arctanh => cmath.atanh(z),
        .round => Complex32.init(roundHalfEven(x.re), roundHalfEven(x.im)),
        .degrees => scale(z, 180.0 / std.math.pi),
        .radians => scale(z, std.math.pi / 180.0),
        .expm1, .sigmoid, .erf, .erfinv, .ceil, .floor, .bitwise_invert => comptime unreachable,
    };
    return .{ .re = result.re, .im = result.im };
}

fn scale(z: Complex32, factor: f32) Complex32 {
    return Complex32.init(z.re * factor, z.im * factor);
}

/// The ops `simdMath` names.
const simd_math_ops = blk: {
    var ops: []const UnaryOp = &.{};
    for (std.enums.values(UnaryOp)) |op| {
        if (simdMath(op)) ops = ops ++ .{op};
    }
    break :blk ops;
};

test "float32 SIMD math is within 2 ulp of the float64 reference, as vector and as scalar" {
    const lanes = 16;
    const Vector = @Vector(lanes, f32);
    var prng = std.Random.DefaultPrng.init(7);
    const random = prng.random();
    inline for (simd_math_ops) |op| {
        var round: usize = 0;
        while (round < 200) : (round += 1) {
            var inputs: [lanes]f32 = undefined;
            for (&inputs, 0..) |*x, i| {
                // Random bit patterns (every magnitude) and values where the ops vary.
                x.* = if (i % 2 == 0) @bitCast(random.int(u32)) else (random.float(f32) - 0.3) * 40;
            }
            const outputs: [lanes]f32 = apply(op, .float32, .float32, @as(Vector, inputs));
            for (inputs, outputs) |x, y| {
                const scalar = apply(op, .float32, .float32, x);
                try std.testing.expectEqual(0, vmath.ulpDistance(f32, y, scalar));
                const expected: f32 = @floatCast(reference(op, .float64, @as(f64, x)));
                try std.testing.expect(vmath.ulpDistance(f32, y, expected) <= 2);
            }
        }
    }
}

test "float16 ops with float32 SIMD math round the float64 reference, as vector and as scalar" {
    const lanes = 32;
    const Vector = @Vector(lanes, f16);
    inline for (simd_math_ops ++ .{UnaryOp.sqrt}) |op| {
        // Every float16 value.
        var first: u32 = 0;
        while (first < 1 << 16) : (first += lanes) {
            var inputs: [lanes]f16 = undefined;
            for (&inputs, 0..) |*x, i| x.* = @bitCast(@as(u16, @intCast(first + i)));
            const outputs: [lanes]f16 = apply(op, .float16, .float16, @as(Vector, inputs));
            for (inputs, outputs) |x, y| {
                const scalar = apply(op, .float16, .float16, x);
                try std.testing.expectEqual(0, vmath.ulpDistance(f16, y, scalar));
                const expected: f16 = @floatCast(reference(op, .float64, @as(f64, x)));
                try std.testing.expect(vmath.ulpDistance(f16, y, expected) <= 1);
            }
        }
    }
}
