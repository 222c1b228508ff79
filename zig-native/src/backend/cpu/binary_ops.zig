//! The binary elementwise ops: their dtype rules (as MLX has them) and their scalar math,
//! with SIMD forms where the math is plain vector arithmetic (and float32 logaddexp, from
//! `vmath.zig`). float16 and bfloat16 compute in float32; integer ops wrap; integer division
//! by zero gives 0 instead of trapping.

const std = @import("std");
const assert = std.debug.assert;
const dtype_mod = @import("../../dtype.zig");
const cast = @import("cast.zig");
const vmath = @import("vmath.zig");

const DType = dtype_mod.DType;
const Storage = dtype_mod.Storage;
const Complex32 = std.math.Complex(f32);
const cmath = std.math.complex;

/// The order is the ABI's op code (see src/ops.ts).
pub const BinaryOp = enum(u8) {
    add,
    subtract,
    multiply,
    divide,
    floor_divide,
    remainder,
    power,
    maximum,
    minimum,
    logaddexp,
    arctan2,
    equal,
    not_equal,
    less,
    less_equal,
    greater,
    greater_equal,
    logical_and,
    logical_or,
    bitwise_and,
    bitwise_or,
    bitwise_xor,
    left_shift,
    right_shift,
};

pub const Signature = struct {
    /// Both inputs are converted to this dtype for the kernel.
    compute: DType,
    out: DType,
};

/// The dtypes of `op` on inputs promoted to `promoted`, or null where MLX rejects them.
pub fn signature(op: BinaryOp, promoted: DType) ?Signature {
    const is_exact = promoted == .bool_ or promoted.isInteger();
    const is_complex = promoted == .complex64;
    const same: Signature = .{ .compute = promoted, .out = promoted };
    const to_float: Signature = .{ .compute = .float32, .out = .float32 };
    return switch (op) {
        .add, .subtract, .multiply, .floor_divide, .power, .maximum, .minimum => same,
        .divide => if (is_exact) to_float else same,
        .logaddexp => if (is_exact) to_float else same,
        .remainder => if (is_complex) null else same,
        .arctan2 => if (is_complex) null else if (is_exact) to_float else same,
        .equal, .not_equal, .less, .less_equal, .greater, .greater_equal, .logical_and,
        .logical_or => .{ .compute = promoted, .out = .bool_ },
        .bitwise_and, .bitwise_or, .bitwise_xor => if (is_exact) same else null,
        .left_shift, .right_shift => if (!is_exact) null else if (promoted == .bool_)
            .{ .compute = .uint8, .out = .uint8 }
        else
            same,
    };
}

/// Whether the float32/float64/integer math of `op` is written for vectors too.
pub fn vectorizable(op: BinaryOp, compute: DType) bool {
    const plain = switch (compute) {
        .float32, .float64, .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64 => true,
        else => false,
    };
    if (!plain) return false;
    return switch (op) {
        .add, .subtract, .multiply, .maximum, .minimum, .equal, .not_equal, .less, .less_equal,
        .greater, .greater_equal => true,
        .divide => compute.isFloating(),
        .logaddexp => compute == .float32,
        .bitwise_and, .bitwise_or, .bitwise_xor => compute.isInteger(),
        else => false,
    };
}

fn Out(comptime out: DType, comptime X: type) type {
    return switch (@typeInfo(X)) {
        .vector => |v| @Vector(v.len, Storage(out)),
        else => Storage(out),
    };
}

/// `a op b` on one element each (or vectors, for vectorizable ops).
pub fn apply(comptime op: BinaryOp, comptime compute: DType, comptime out: DType, a: anytype, b: @TypeOf(a)) Out(out, @TypeOf(a)) {
    comptime assert(signature(op, compute) != null);
    return switch (compute) {
        .float16, .bfloat16 => blk: {
            const wide_out: DType = if (out == compute) .float32 else out;
            const result = apply(op, .float32, wide_out, cast.convert(.float32, compute, a), cast.convert(.float32, compute, b));
            break :blk cast.convert(out, wide_out, result);
        },
        .float32, .float64 => floating(op, out, a, b),
        .complex64 => complex(op, out, a, b),
        .bool_ => boolean(op, out, a, b),
        else => integer(op, compute, out, a, b),
    };
}

fn predicate(comptime out: DType, comptime X: type, condition: anytype) Out(out, X) {
    return switch (@typeInfo(X)) {
        .vector => |v| @select(u8, condition, @as(@Vector(v.len, u8), @splat(1)), @as(@Vector(v.len, u8), @splat(0))),
        else => @intFromBool(condition),
    };
}

/// `value`, except NaN where `a` or `b` is NaN (MLX's maximum/minimum propagate NaN).
fn nanPropagating(a: anytype, b: @TypeOf(a), value: @TypeOf(a)) @TypeOf(a) {
    const X = @TypeOf(a);
    if (@typeInfo(X) == .vector) return @select(@typeInfo(X).vector.child, a != a, a, @select(@typeInfo(X).vector.child, b != b, b, value));
    if (a != a) return a;
    if (b != b) return b;
    return value;
}

fn floating(comptime op: BinaryOp, comptime out: DType, a: anytype, b: @TypeOf(a)) Out(out, @TypeOf(a)) {
    const X = @TypeOf(a);
    return switch (op) {
        .add => a + b,
        .subtract => a - b,
        .multiply => a * b,
        .divide => a / b,
        .floor_divide => @floor(a / b),
        .remainder => pythonRemainder(a, b),
        .power => std.math.pow(X, a, b),
        // NaN in either input gives NaN, as in MLX.
        .maximum => nanPropagating(a, b, @max(a, b)),
        .minimum => nanPropagating(a, b, @min(a, b)),
        .logaddexp => logAddExp(a, b),
        .arctan2 => std.math.atan2(a, b),
        .equal => predicate(out, X, a == b),
        .not_equal => predicate(out, X, a != b),
        .less => predicate(out, X, a < b),
        .less_equal => predicate(out, X, a <= b),
        .greater => predicate(out, X, a > b),
        .greater_equal => predicate(out, X, a >= b),
        .logical_and => @intFromBool(a != 0 and b != 0),
        .logical_or => @intFromBool(a != 0 or b != 0),
        .bitwise_and, .bitwise_or, .bitwise_xor, .left_shift, .right_shift => comptime unreachable,
    };
}

fn pythonRemainder(a: anytype, b: @TypeOf(a)) @TypeOf(a) {
    const r = @rem(a, b);
    return if (r != 0 and ((r < 0) != (b < 0))) r + b else r;
}

/// float32 (vectors too) runs vmath's, which is tested against this definition's formula in
/// float64.
fn logAddExp(a: anytype, b: @TypeOf(a)) @TypeOf(a) {
    const is_f32 = switch (@typeInfo(@TypeOf(a))) {
        .vector => |v| v.child == f32,
        else => @TypeOf(a) == f32,
    };
    if (is_f32) return vmath.logAddExp(a, b);
    if (std.math.isNan(a) or std.math.isNan(b)) return std.math.nan(@TypeOf(a));
    const high = @max(a, b);
    const low = @min(a, b);
    if (std.math.isInf(high)) return high; // +inf, or both -inf
    return high + std.math.log1p(@exp(low - high));
}

fn integer(comptime op: BinaryOp, comptime compute: DType, comptime out: DType, a: anytype, b: @TypeOf(a)) Out(out, @TypeOf(a)) {
    const X = @TypeOf(a);
    const T = Storage(compute);
    const bits = @typeInfo(T).int.bits;
    return switch (op) {
        .add => a +% b,
        .subtract => a -% b,
        .multiply => a *% b,
        .maximum => @max(a, b),
        .minimum => @min(a, b),
        .floor_divide => if (b == 0) 0 else if (isOverflowingDivision(T, a, b)) a else @divFloor(a, b),
        // x % 0 gives x, as MLX's CPU kernel does.
        .remainder => if (b == 0) a else if (isOverflowingDivision(T, a, b)) 0 else @mod(a, b),
        .power => integerPower(T, a, b),
        .equal => predicate(out, X, a == b),
        .not_equal => predicate(out, X, a != b),
        .less => predicate(out, X, a < b),
        .less_equal => predicate(out, X, a <= b),
        .greater => predicate(out, X, a > b),
        .greater_equal => predicate(out, X, a >= b),
        .logical_and => @intFromBool(a != 0 and b != 0),
        .logical_or => @intFromBool(a != 0 or b != 0),
        .bitwise_and => a & b,
        .bitwise_or => a | b,
        .bitwise_xor => a ^ b,
        // Counts outside [0, bits) shift everything out (C's int promotion for narrow types).
        .left_shift => if (b < 0 or b >= bits) 0 else a << @intCast(b),
        .right_shift => if (b < 0 or b >= bits) (if (a < 0) -1 else 0) else a >> @intCast(b),
        .divide, .logaddexp, .arctan2 => comptime unreachable,
    };
}

fn isOverflowingDivision(comptime T: type, a: T, b: T) bool {
    if (@typeInfo(T).int.signedness == .unsigned) return false;
    return a == std.math.minInt(T) and b == -1;
}

/// Wrapping exponentiation by squaring; negative exponents give 0 (integer reciprocal), as
/// in MLX.
fn integerPower(comptime T: type, base: T, exponent: T) T {
    if (exponent < 0) return 0;
    var result: T = 1;
    var factor = base;
    var rest = exponent;
    while (rest > 0) {
        if (rest & 1 == 1) result *%= factor;
        factor *%= factor;
        rest >>= 1;
    }
    return result;
}

fn boolean(comptime op: BinaryOp, comptime out: DType, a: u8, b: u8) Storage(out) {
    return switch (op) {
        .add, .maximum, .logical_or, .bitwise_or => a | b,
        .subtract, .not_equal, .bitwise_xor => a ^ b,
        .multiply, .minimum, .logical_and, .bitwise_and, .floor_divide => a & b,
        .remainder => a & (b ^ 1),
        .power => a | (b ^ 1),
        .equal => @intFromBool(a == b),
        .less => @intFromBool(a < b),
        .less_equal => @intFromBool(a <= b),
        .greater => @intFromBool(a > b),
        .greater_equal => @intFromBool(a >= b),
        .divide, .logaddexp, .arctan2, .left_shift, .right_shift => comptime unreachable,
    };
}

fn lexicographicLess(a: dtype_mod.Complex64, b: dtype_mod.Complex64) bool {
    return a.re < b.re or (a.re == b.re and a.im < b.im);
}

fn complex(comptime op: BinaryOp, comptime out: DType, a: dtype_mod.Complex64, b: dtype_mod.Complex64) Storage(out) {
    const x = Complex32.init(a.re, a.im);
    const y = Complex32.init(b.re, b.im);
    const same = a.re == b.re and a.im == b.im;
    const result: Complex32 = switch (op) {
        .add => x.add(y),
        .subtract => x.sub(y),
        .multiply => x.mul(y),
        .divide, .floor_divide => divide(x, y),
        .power => cmath.pow(x, y),
        .maximum => return if (lexicographicLess(a, b)) b else a,
        .minimum => return if (lexicographicLess(b, a)) b else a,
        .logaddexp => blk: {
            // log(exp(x) + exp(y)), shifted by the larger real part for range.
            const shift = @max(a.re, b.re);
            const ex = cmath.exp(Complex32.init(a.re - shift, a.im));
            const ey = cmath.exp(Complex32.init(b.re - shift, b.im));
            const sum = cmath.log(ex.add(ey));
            break :blk Complex32.init(sum.re + shift, sum.im);
        },
        .equal => return @intFromBool(same),
        .not_equal => return @intFromBool(!same),
        .less => return @intFromBool(lexicographicLess(a, b)),
        .less_equal => return @intFromBool(lexicographicLess(a, b) or same),
        .greater => return @intFromBool(lexicographicLess(b, a)),
        .greater_equal => return @intFromBool(lexicographicLess(b, a) or same),
        .logical_and => return @intFromBool((a.re != 0 or a.im != 0) and (b.re != 0 or b.im != 0)),
        .logical_or => return @intFromBool(a.re != 0 or a.im != 0 or b.re != 0 or b.im != 0),
        .remainder, .arctan2, .bitwise_and, .bitwise_or, .bitwise_xor, .left_shift,
        .right_shift => comptime unreachable,
    };
    return .{ .re = result.re, .im = result.im };
}

/// Complex division; by zero it divides each part by 0 (1/0 = inf+nanj, as C++ gives).
pub fn divide(x: Complex32, y: Complex32) Complex32 {
    if (y.re == 0 and y.im == 0) return Complex32.init(x.re / 0.0, x.im / 0.0);
    return x.div(y);
}
