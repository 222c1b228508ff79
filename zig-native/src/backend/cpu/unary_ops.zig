//! The unary elementwise ops: their dtype rules (as MLX has them) and their scalar math, with
//! SIMD forms for the ops that LLVM vectorizes. float16 and bfloat16 compute in float32.

const std = @import("std");
const assert = std.debug.assert;
const dtype_mod = @import("../../dtype.zig");
const special = @import("special.zig");
const cast = @import("cast.zig");
const binary_ops = @import("binary_ops.zig");

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

/// Ops whose float32/float64 math is written with vector-capable builtins only.
pub fn vectorizable(op: UnaryOp) bool {
    return switch (op) {
        .abs, .negative, .square, .sqrt, .rsqrt, .reciprocal, .exp, .log, .log2, .log10, .sin,
        .cos, .ceil, .floor, .degrees, .radians, .sigmoid, .conjugate, .real, .stop_gradient => true,
        else => false,
    };
}

/// `op` on one element (or a vector of float32/float64 elements for vectorizable ops).
pub fn apply(comptime op: UnaryOp, comptime compute: DType, comptime out: DType, x: anytype) Out(out, @TypeOf(x)) {
    comptime assert(signature(op, compute) != null);
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
