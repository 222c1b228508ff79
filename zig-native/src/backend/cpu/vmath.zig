//! float32 transcendental functions written with `@Vector` arithmetic only, so LLVM keeps
//! them in SIMD registers (it turns `@exp` on a vector into one libm call per lane). Each
//! function takes an f32 or a vector of f32 of any length; a scalar runs as a one-lane vector,
//! so a kernel's scalar tail computes exactly what its vector body does.
//!
//! The schemes are Cephes' (S. L. Moshier): reduce the argument (by multiples of ln 2 with a
//! two-constant split, into mantissa and exponent, or by multiples of pi/2 in float32 with
//! FMA, in float64 past |x| = 65536), then a short polynomial; erf's and erfinv's polynomials
//! are fitted for this file. Over every float32 input
//! the results are within 1 ulp of the correctly rounded ones (2 is the tests' bound), with
//! NaN, infinities, zeros and subnormals handled exactly.

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;
const simd = @import("simd.zig");


const log2e = 1.44269504088896341;
/// ln 2 as a part exact in few bits plus the rest, so n * ln2_hi is exact for |n| < 2^15.
const ln2_hi = 0.693359375;
const ln2_lo = -2.12194440e-4;
const sqrt_half = 0.707106781186547524;
const f32_min_normal = 0x1p-126;

/// e^x.
pub fn exp(x: anytype) @TypeOf(x) {
    return lift(expVector, x);
}

/// e^x - 1, accurate near 0.
pub fn expm1(x: anytype) @TypeOf(x) {
    return lift(expm1Vector, x);
}

/// Natural logarithm.
pub fn log(x: anytype) @TypeOf(x) {
    return lift(LogVector(.e).f, x);
}

/// Base-2 logarithm (exact at powers of 2).
pub fn log2(x: anytype) @TypeOf(x) {
    return lift(LogVector(.two).f, x);
}

/// Base-10 logarithm.
pub fn log10(x: anytype) @TypeOf(x) {
    return lift(LogVector(.ten).f, x);
}

/// log(1 + x), accurate near 0.
pub fn log1p(x: anytype) @TypeOf(x) {
    return lift(log1pVector, x);
}

/// Hyperbolic tangent.
pub fn tanh(x: anytype) @TypeOf(x) {
    return lift(tanhVector, x);
}

/// The logistic function 1 / (1 + e^-x), without overflow for large negative x.
pub fn sigmoid(x: anytype) @TypeOf(x) {
    return lift(sigmoidVector, x);
}

/// Sine (radians).
pub fn sin(x: anytype) @TypeOf(x) {
    return lift(SinCos(.sin).f, x);
}

/// Cosine (radians).
pub fn cos(x: anytype) @TypeOf(x) {
    return lift(SinCos(.cos).f, x);
}

/// The error function.
pub fn erf(x: anytype) @TypeOf(x) {
    return lift(erfVector, x);
}

/// The inverse error function: +-inf at +-1, NaN beyond.
pub fn erfinv(x: anytype) @TypeOf(x) {
    return lift(erfinvVector, x);
}

/// log(e^a + e^b), without overflow.
pub fn logAddExp(a: anytype, b: @TypeOf(a)) @TypeOf(a) {
    const X = @TypeOf(a);
    if (@typeInfo(X) == .vector) return logAddExpVector(X, a, b);
    comptime assert(X == f32);
    const a_lane: @Vector(1, f32) = .{a};
    const b_lane: @Vector(1, f32) = .{b};
    return logAddExpVector(@Vector(1, f32), a_lane, b_lane)[0];
}

/// Runs a vector function on a vector, or on a scalar as a one-lane vector.
inline fn lift(comptime f: anytype, x: anytype) @TypeOf(x) {
    const X = @TypeOf(x);
    if (@typeInfo(X) == .vector) {
        comptime assert(@typeInfo(X).vector.child == f32);
        return f(X, x);
    }
    comptime assert(X == f32);
    const one_lane: @Vector(1, f32) = .{x};
    return f(@Vector(1, f32), one_lane)[0];
}

fn Ints(comptime V: type) type {
    return @Vector(@typeInfo(V).vector.len, i32);
}

fn Bits(comptime V: type) type {
    return @Vector(@typeInfo(V).vector.len, u32);
}

inline fn splat(comptime V: type, value: f32) V {
    return @splat(value);
}

/// Without FMA the polynomials use a separate multiply and add (Cephes' coefficients are
/// fitted for that).
const mulAdd = simd.mulAdd;

/// c[0] + c[1] x + c[2] x^2 + ... by Horner's rule.
inline fn polynomial(comptime V: type, x: V, comptime c: []const @typeInfo(V).vector.child) V {
    var result: V = @splat(c[c.len - 1]);
    comptime var i = c.len - 1;
    inline while (i > 0) {
        i -= 1;
        result = mulAdd(V, result, x, @splat(c[i]));
    }
    return result;
}

/// 2^n for n in [-126, 127], built from the exponent bits.
inline fn pow2(comptime V: type, n: Ints(V)) V {
    const biased: Bits(V) = @bitCast(n + @as(Ints(V), @splat(127)));
    return @bitCast(biased << @splat(23));
}

/// Whether `scale` is AVX-512's `vscalefps` (x * 2^floor(n) rounded once, with IEEE
/// overflow and subnormals): one instruction where the portable form takes eight. Both
/// round once, so they give the same bits. (The self-hosted Debug backend takes no such
/// assembly; the portable form serves it.)
const has_scalef = builtin.cpu.arch == .x86_64 and builtin.zig_backend == .stage2_llvm and
    std.Target.x86.featureSetHas(builtin.cpu.features, .avx512f);

/// p * 2^n for integral n in [-252, 254], rounded once: in the portable form in two steps,
/// the first exact (its result stays normal), so results in the subnormal range are
/// correctly rounded.
inline fn scale(comptime V: type, p: V, n: V) V {
    if (has_scalef) {
        const lanes = @typeInfo(V).vector.len;
        if (lanes == 16) {
            return asm ("vscalefps %[n], %[p], %[out]"
                : [out] "=v" (-> V),
                : [p] "v" (p),
                  [n] "v" (n),
            );
        }
        if (lanes == 1) {
            const one: f32 = asm ("vscalefss %[n], %[p], %[out]"
                : [out] "=v" (-> f32),
                : [p] "v" (p[0]),
                  [n] "v" (n[0]),
            );
            return @splat(one);
        }
    }
    const whole: Ints(V) = @intFromFloat(n);
    const half = whole >> @splat(1);
    return p * pow2(V, half) * pow2(V, whole - half);
}

/// x rounded to an integer, ties to even, for |x| < 2^22: two additions (`@round` rounds
/// ties away from zero in three instructions).
inline fn roundNearest(comptime V: type, x: V) V {
    const magic = splat(V, 0x1.8p23);
    return (x + magic) - magic;
}

/// x = n ln2 + r with |r| <= ln2/2 and n integral, for |x| below about 2^15.
inline fn reduceLn2(comptime V: type, x: V) struct { n: V, r: V } {
    const n = roundNearest(V, x * splat(V, log2e));
    const r = mulAdd(V, n, splat(V, -ln2_lo), mulAdd(V, n, splat(V, -ln2_hi), x));
    return .{ .n = n, .r = r };
}

/// (e^r - 1 - r) / r^2 on |r| <= ln2/2 (1/2 + r/6 + ...): Cephes expf's minimax polynomial.
const exp_coefficients = [_]f32{
    5.0000001201e-1, 1.6666665459e-1, 4.1665795894e-2, 8.3334519073e-3, 1.3981999507e-3,
    1.9875691500e-4,
};

/// e^r - 1 for |r| <= ln2/2.
inline fn expm1Reduced(comptime V: type, r: V) V {
    return mulAdd(V, polynomial(V, r, &exp_coefficients), r * r, r);
}

fn expVector(comptime V: type, x: V) V {
    // Beyond these every result is 0 (below half the smallest subnormal) or inf.
    const clamped = @min(@max(x, splat(V, -104.0)), splat(V, 89.0));
    const reduced = reduceLn2(V, clamped);
    const p = expm1Reduced(V, reduced.r) + splat(V, 1.0);
    const result = scale(V, p, reduced.n);
    return @select(f32, x != x, x, result);
}

/// e^x as hi + lo (lo is what rounding 1 + expm1(r) lost), for x <= 0 that is not NaN.
inline fn expSplit(comptime V: type, x: V) struct { hi: V, lo: V } {
    const one = splat(V, 1.0);
    const reduced = reduceLn2(V, @max(x, splat(V, -104.0)));
    const q = expm1Reduced(V, reduced.r);
    const p = one + q;
    const lost = (one - p) + q;
    return .{ .hi = scale(V, p, reduced.n), .lo = scale(V, lost, reduced.n) };
}

fn expm1Vector(comptime V: type, x: V) V {
    // Below -20, e^x - 1 rounds to -1; above 89 it overflows.
    const clamped = @min(@max(x, splat(V, -20.0)), splat(V, 89.0));
    const n_float = roundNearest(V, clamped * splat(V, log2e));
    const n: Ints(V) = @intFromFloat(n_float);
    // r = r_hi + r_lo unrounded (r_hi is exact), so e^r - 1 = r_hi + (r_lo + t).
    const r_hi = mulAdd(V, n_float, splat(V, -ln2_hi), clamped);
    const r_lo = n_float * splat(V, -ln2_lo);
    const r = r_hi + r_lo;
    const t = polynomial(V, r, &exp_coefficients) * (r * r);
    // e^x - 1 = (2^n r_hi + (2^n - 1)) + 2^n (r_lo + t); 2^n - 1 is exact while n <= 24.
    const two_n = pow2(V, @min(n, @as(Ints(V), @splat(127))));
    const small_n = mulAdd(V, r_lo + t, two_n, mulAdd(V, r_hi, two_n, two_n - splat(V, 1.0)));
    // Past that, 2^n ((p - 2^-n) + 1), scaled in two steps for n = 128.
    const p = r + t;
    const tiny = pow2(V, -@min(n, @as(Ints(V), @splat(100))));
    const large_n = scale(V, (p - tiny) + splat(V, 1.0), n_float);
    const result = @select(f32, n > @as(Ints(V), @splat(24)), large_n, small_n);
    // x itself for NaN and for +-0 (the sum above would turn -0 into +0).
    return @select(f32, (x != x) | (x == splat(V, 0.0)), x, result);
}

/// Which logarithm `logVector` computes.
const Base = enum { e, two, ten };

/// x = 2^e (1 + f) with 1 + f in [sqrt(1/2), sqrt(2)), for finite positive x (subnormal too,
/// unless `may_be_subnormal` is false: then the scaling of subnormals is left out).
inline fn splitLog(comptime V: type, x: V, comptime may_be_subnormal: bool) struct { e: V, f: V } {
    const is_subnormal = if (may_be_subnormal)
        x < splat(V, f32_min_normal)
    else
        @as(@Vector(@typeInfo(V).vector.len, bool), @splat(false));
    const normal = if (may_be_subnormal) @select(f32, is_subnormal, x * splat(V, 0x1p23), x) else x;
    const bits: Bits(V) = @bitCast(normal);
    // The mantissa with the exponent of 0.5: m in [0.5, 1).
    const mantissa: V = @bitCast((bits & @as(Bits(V), @splat(0x007fffff))) |
        @as(Bits(V), @splat(0x3f000000)));
    const biased: Ints(V) = @intCast(bits >> @splat(23));
    const exponent = biased - @as(Ints(V), @splat(126)) -
        @select(i32, is_subnormal, @as(Ints(V), @splat(23)), @as(Ints(V), @splat(0)));
    const low = mantissa < splat(V, sqrt_half);
    const e = exponent - @select(i32, low, @as(Ints(V), @splat(1)), @as(Ints(V), @splat(0)));
    const f = @select(f32, low, mantissa + mantissa, mantissa) - splat(V, 1.0);
    return .{ .e = @floatFromInt(e), .f = f };
}

/// log(1 + f) - f + f^2/2 over f^3 on [sqrt(1/2) - 1, sqrt(2) - 1]: Cephes logf's polynomial.
const log_coefficients = [_]f32{
    3.3333331174e-1,  -2.4999993993e-1, 2.0000714765e-1, -1.6668057665e-1, 1.4249322787e-1,
    -1.2420140846e-1, 1.1676998740e-1,  -1.1514610310e-1, 7.0376836292e-2,
};

/// The logarithm of 2^e (1 + f) in `base`, with `correction` (a small addend to log(1 + f))
/// folded in before the largest terms.
inline fn logCombine(comptime V: type, comptime base: Base, e: V, f: V, correction: V) V {
    const z = f * f;
    // log(1 + f) = f + tail
    const tail = mulAdd(V, splat(V, -0.5), z, f * z * polynomial(V, f, &log_coefficients)) +
        correction;
    return switch (base) {
        .e => mulAdd(V, e, splat(V, ln2_hi), f + mulAdd(V, e, splat(V, ln2_lo), tail)),
        // log2(x) = e + (f + tail) log2(e), with log2(e) = 1 + 0.4427.. so f enters exactly.
        .two => blk: {
            const log2e_minus_one = splat(V, 0.44269504088896340736);
            const small = mulAdd(V, tail, log2e_minus_one, f * log2e_minus_one);
            break :blk e + (f + (tail + small));
        },
        // log10(x) = e log10(2) + (f + tail) log10(e), each constant split in two.
        .ten => blk: {
            const log10e_hi = splat(V, 4.3359375e-1);
            const log10e_lo = splat(V, 7.00731903251827651129e-4);
            const log10_2_hi = splat(V, 3.0078125e-1);
            const log10_2_lo = splat(V, 2.48745663981195213739e-4);
            // f = f_hi + f_lo with 12 bits each, so f_hi log10e_hi is exact without FMA too.
            const f_hi: V = @bitCast(@as(Bits(V), @bitCast(f)) & @as(Bits(V), @splat(0xfffff000)));
            var sum = mulAdd(V, tail, log10e_lo, f * log10e_lo);
            sum = mulAdd(V, e, log10_2_lo, sum);
            sum = mulAdd(V, tail, log10e_hi, sum);
            sum = mulAdd(V, f - f_hi, log10e_hi, sum);
            sum = mulAdd(V, f_hi, log10e_hi, sum);
            break :blk mulAdd(V, e, log10_2_hi, sum);
        },
    };
}

/// log(0) = -inf, log(inf) = inf, NaN for negative x and NaN.
inline fn logEdges(comptime V: type, x: V, result: V) V {
    const inf = splat(V, std.math.inf(f32));
    var out = @select(f32, x == inf, inf, result);
    out = @select(f32, x == splat(V, 0.0), -inf, out);
    return @select(f32, (x < splat(V, 0.0)) | (x != x), splat(V, std.math.nan(f32)), out);
}

fn LogVector(comptime base: Base) type {
    return struct {
        fn f(comptime V: type, x: V) V {
            // Every lane normal, positive and finite (the common case): no subnormal scaling
            // and no edge cases, the same bits.
            const bits: Bits(V) = @bitCast(x);
            const min_normal_bits: Bits(V) = @splat(0x00800000);
            const normal = bits -% min_normal_bits < @as(Bits(V), @splat(0x7f800000 - 0x00800000));
            if (@reduce(.And, normal)) {
                const split = splitLog(V, x, false);
                return logCombine(V, base, split.e, split.f, splat(V, 0.0));
            }
            const split = splitLog(V, x, true);
            return logEdges(V, x, logCombine(V, base, split.e, split.f, splat(V, 0.0)));
        }
    };
}

fn log1pVector(comptime V: type, x: V) V {
    // u = 1 + x rounds; c is what the rounding lost (Fast2Sum, larger operand first), and
    // log(1 + x) = log(u) + log(1 + c/u) ~ log(u) + c/u.
    const one = splat(V, 1.0);
    const u = one + x;
    const x_is_small = @abs(x) <= one;
    const lost = @select(f32, x_is_small, x - (u - one), one - (u - x));
    // Keep u positive and finite here; logEdges below handles u = 0, u < 0, inf and NaN.
    const safe_u = @select(f32, (u > splat(V, 0.0)) & (u < splat(V, std.math.inf(f32))), u, one);
    const split = splitLog(V, safe_u, true);
    const result = logCombine(V, .e, split.e, split.f, lost / safe_u);
    // Below 2^-24 the result rounds to x (this keeps -0 too).
    const tiny = @abs(x) < splat(V, 0x1p-24);
    return @select(f32, tiny, x, logEdges(V, u, result));
}

/// (tanh(x) - x) / x^3 as a polynomial in x^2 on |x| < 0.625: Cephes tanhf's.
const tanh_coefficients = [_]f32{
    -3.33332819422e-1, 1.33314422036e-1, -5.37397155531e-2, 2.06390887954e-2, -5.70498872745e-3,
};

fn tanhVector(comptime V: type, x: V) V {
    const one = splat(V, 1.0);
    const z = x * x;
    const near_zero = mulAdd(V, polynomial(V, z, &tanh_coefficients), z * x, x);
    // 1 - 2 / (e^2|x| + 1); exp saturates to inf past |x| = 44, giving exactly 1.
    const magnitude = @abs(x);
    const far = one - splat(V, 2.0) / (expVector(V, magnitude + magnitude) + one);
    const signed_far: V = @bitCast(@as(Bits(V), @bitCast(far)) |
        (@as(Bits(V), @bitCast(x)) & @as(Bits(V), @splat(0x80000000))));
    // NaN fails the comparison and comes out of exp as NaN; -0 would come out as +0.
    const result = @select(f32, magnitude < splat(V, 0.625), near_zero, signed_far);
    return @select(f32, x == splat(V, 0.0), x, result);
}

fn sigmoidVector(comptime V: type, x: V) V {
    // e = e^-|x| never overflows: 1 / (1 + e) for x >= 0, e / (1 + e) below (so results
    // down to the subnormal range are right instead of 1 / inf). e comes as hi + lo, and
    // 1 + e as s + c, so only the division and the polynomial round.
    const one = splat(V, 1.0);
    const e = expSplit(V, -@abs(x));
    const s = one + e.hi;
    const c = (e.hi - (s - one)) + e.lo;
    const positive = x >= splat(V, 0.0);
    const numerator = @select(f32, positive, one, e.hi);
    const numerator_lo = @select(f32, positive, splat(V, 0.0), e.lo);
    const q = numerator / s;
    // (numerator + numerator_lo) / (s + c) = q + (numerator_lo - q c) / s, and 1/s is q
    // or 1 - q to a few bits, plenty for the correction.
    const inverse_s = @select(f32, positive, q, one - q);
    const result = mulAdd(V, numerator_lo - q * c, inverse_s, q);
    return @select(f32, x != x, x, result);
}

/// Above this |x| the reduction below is not exact enough and sin and cos take float64's:
/// the multiples j of pi/4 stay below 2^20.
const trig_reduction_max = 786432.0;
/// pi/4 in two float64 parts; the first has 33 bits, so j * part is exact for j < 2^20.
const pio4_hi: f64 = 0x1.921fb544p-1;
const pio4_lo: f64 = 0x1.0b4611a626331p-35;

/// (sin(r) - r) / r^3 and (cos(r) - 1 + r^2/2) / r^4 as polynomials in r^2 on |r| <= pi/4:
/// Cephes sinf's and cosf's.
const sin_coefficients = [_]f32{ -1.6666654611e-1, 8.3321608736e-3, -1.9515295891e-4 };
const cos_coefficients = [_]f32{
    4.166664568298827e-2, -1.388731625493765e-3, 2.443315711809948e-5,
};

const Trig = enum { sin, cos };

/// Below this |x| (and with FMA) the reduction is float32's (`reduceHalfPi`). Every float32
/// up to 70000 was checked against float64 sin and cos once (within 1 ulp, as many 1-ulp
/// results as the float64 reduction gives); the tests sweep samples up to it.
const trig_fast_max = 65536.0;
/// pi/2 in three float32 parts (from comptime's 113-bit pi).
const pio2_1: f32 = std.math.pi / 2.0;
const pio2_2: f32 = std.math.pi / 2.0 - @as(comptime_float, pio2_1);
const pio2_3: f32 = std.math.pi / 2.0 - @as(comptime_float, pio2_1) - @as(comptime_float, pio2_2);

/// a = j pi/4 + (r + r_lo) with j even and r in [-pi/4, pi/4] (to rounding).
fn Reduced(comptime V: type) type {
    return struct { j: Ints(V), r: V, r_lo: V };
}

/// `Reduced` for 0 <= a <= trig_fast_max, in float32 with FMA (q = j/2 multiples of pi/2):
/// a - q pio2_1 is exact (a multiple of 2^-23 below 1, or a - pio2_1 by Sterbenz), q pio2_2
/// is split exactly, and the difference takes a Fast2Sum (the first term is 0 or larger, as
/// a multiple of ulp(a) > q |pio2_2|).
inline fn reduceHalfPi(comptime V: type, a: V) Reduced(V) {
    comptime assert(simd.has_fma);
    const q = roundNearest(V, a * splat(V, 2.0 / std.math.pi));
    const r1 = @mulAdd(V, -q, splat(V, pio2_1), a);
    const p = q * splat(V, pio2_2);
    const p_err = @mulAdd(V, q, splat(V, pio2_2), -p);
    const s = r1 - p;
    const e = (r1 - s) - p;
    const lo = @mulAdd(V, -q, splat(V, pio2_3), e - p_err);
    const r = s + lo;
    const whole: Ints(V) = @intFromFloat(q);
    return .{ .j = whole << @splat(1), .r = r, .r_lo = lo - (r - s) };
}

/// `Reduced` for 0 <= a <= trig_reduction_max, in float64 (float32 values near multiples of
/// pi/2 leave r down to 2^-23 of a).
inline fn reduceWide(comptime V: type, a: V) Reduced(V) {
    const W = @Vector(@typeInfo(V).vector.len, f64);
    const odd_j: Ints(V) = @intFromFloat(a * splat(V, 4.0 / std.math.pi));
    const j = (odd_j + @as(Ints(V), @splat(1))) & @as(Ints(V), @splat(~@as(i32, 1)));
    const y: W = @floatFromInt(j);
    const a_wide: W = a;
    const r_wide = (a_wide - y * @as(W, @splat(pio4_hi))) - y * @as(W, @splat(pio4_lo));
    const r: V = @floatCast(r_wide);
    return .{ .j = j, .r = r, .r_lo = @floatCast(r_wide - @as(W, r)) };
}

fn SinCos(comptime which: Trig) type {
    return struct {
        fn f(comptime V: type, x: V) V {
            const magnitude = @abs(x);
            const in_range = magnitude <= splat(V, trig_reduction_max);
            const a = @select(f32, in_range, magnitude, splat(V, 0.0));
            // Lanes up to trig_fast_max reduce in float32 where there is FMA, the others in
            // float64: each lane's result depends on its own value only, so a scalar matches
            // its vector.
            const fast = magnitude <= splat(V, trig_fast_max);
            const reduced: Reduced(V) = if (!simd.has_fma) reduceWide(V, a) else if (@reduce(.And, fast))
                reduceHalfPi(V, a)
            else blk: {
                const narrow = reduceHalfPi(V, @select(f32, fast, a, splat(V, 0.0)));
                const wide = reduceWide(V, a);
                break :blk .{
                    .j = @select(i32, fast, narrow.j, wide.j),
                    .r = @select(f32, fast, narrow.r, wide.r),
                    .r_lo = @select(f32, fast, narrow.r_lo, wide.r_lo),
                };
            };
            const r = reduced.r;
            const r_lo = reduced.r_lo;
            const z = r * r;
            const half_z = splat(V, 0.5) * z;
            // sin(r + r_lo) ~ r + (r^3 P(r^2) + r_lo (1 - r^2/2))
            const sin_small = mulAdd(V, polynomial(V, z, &sin_coefficients), z * r,
                r_lo * (splat(V, 1.0) - half_z));
            const sin_r = r + sin_small;
            // cos(r + r_lo) ~ 1 + ((r^4 Q(r^2) - r r_lo) - r^2/2)
            const cos_small = mulAdd(V, polynomial(V, z, &cos_coefficients), z * z, -r * r_lo);
            const cos_r = splat(V, 1.0) + (cos_small - half_z);
            const result = placeQuadrant(V, which, reduced.j, x, sin_r, cos_r);
            if (@reduce(.And, in_range)) return result;
            return trigFallback(V, which, x, in_range, result);
        }
    };
}

/// sin or cos of a = quadrant pi/2 + r (j = 2 quadrant) from sin r and cos r, with x's sign for
/// sin.
fn placeQuadrant(comptime V: type, comptime which: Trig, j: Ints(V), x: V, sin_r: V, cos_r: V) V {
    const quadrant: Bits(V) = @bitCast(j >> @splat(1));
    const one: Bits(V) = @splat(1);
    const two: Bits(V) = @splat(2);
    const sign_bit: Bits(V) = @splat(0x80000000);
    const no_sign: Bits(V) = @splat(0);
    const x_sign = @as(Bits(V), @bitCast(x)) & sign_bit;
    return switch (which) {
        // sin(a) = sin r, cos r, -sin r, -cos r; sin(-a) = -sin(a).
        .sin => blk: {
            const value = @select(f32, (quadrant & one) == one, cos_r, sin_r);
            const negate = @select(u32, (quadrant & two) == two, sign_bit, no_sign);
            break :blk @bitCast(@as(Bits(V), @bitCast(value)) ^ negate ^ x_sign);
        },
        // cos(a) = cos r, -sin r, -cos r, sin r.
        .cos => blk: {
            const value = @select(f32, (quadrant & one) == one, sin_r, cos_r);
            const negate = @select(u32, ((quadrant +% one) & two) == two, sign_bit, no_sign);
            break :blk @bitCast(@as(Bits(V), @bitCast(value)) ^ negate);
        },
    };
}

/// float64 sin or cos (rounded) in the lanes out of the reduction's range: NaN, inf and
/// |x| > trig_reduction_max.
noinline fn trigFallback(
    comptime V: type,
    comptime which: Trig,
    x: V,
    in_range: @Vector(@typeInfo(V).vector.len, bool),
    result: V,
) V {
    var out = result;
    inline for (0..@typeInfo(V).vector.len) |i| {
        if (!in_range[i]) {
            const wide: f64 = x[i];
            out[i] = @floatCast(switch (which) {
                .sin => @sin(wide),
                .cos => @cos(wide),
            });
        }
    }
    return out;
}

/// Below this |x| erf is x + x P(x^2); above, 1 - e^-h(|x|).
const erf_split = 0.875;
/// (erf(x) - x) / x as a polynomial in x^2 on |x| < 0.875, minimax in erf's relative error
/// (fitted for this file by iteratively reweighted least squares, rounded to float32).
const erf_small_coefficients = [_]f32{
    0x1.06eba8p-3, -0x1.812744p-2, 0x1.ce2e84p-4, -0x1.b819a6p-6, 0x1.553ab6p-8, -0x1.ae7f66p-11,
    0x1.6bdea4p-14,
};
/// h(a) = -log(erfc(a)) as a polynomial on [0.875, 4], fitted the same way; past 4,
/// 1 - e^-h(4) rounds to 1 as erf does.
const erf_large_coefficients = [_]f32{
    0x1.18124ap-13, 0x1.20c06ep+0, 0x1.460266p-1, 0x1.ab538p-4, -0x1.6f5594p-6, 0x1.9550dep-9,
    -0x1.a5864cp-13,
};

fn erfVector(comptime V: type, x: V) V {
    const magnitude = @abs(x);
    const small = mulAdd(V, x, polynomial(V, x * x, &erf_small_coefficients), x);
    const h = polynomial(V, @min(magnitude, splat(V, 4.0)), &erf_large_coefficients);
    const large = splat(V, 1.0) - expVector(V, -h);
    const sign_bit: Bits(V) = @splat(0x80000000);
    const signed_large: V = @bitCast(@as(Bits(V), @bitCast(large)) |
        (@as(Bits(V), @bitCast(x)) & sign_bit));
    const result = @select(f32, magnitude < splat(V, erf_split), small, signed_large);
    return @select(f32, x != x, x, result);
}

/// erfinv(y) = y P(w) with w = -log(1 - y^2), computed in float64: P is a polynomial in w
/// below w = 5 (|y| < 0.9966), and in sqrt(w) from there to 16 (float32's largest w below
/// |y| = 1 is 15.9). scripts/fit_erfinv.py fits both (Chebyshev interpolation, degree 14);
/// their relative error is 1.5e-12 and 5.5e-12, so float32 results are the correctly rounded
/// ones except where erfinv falls within that of a rounding boundary.
const erfinv_w_split = 5.0;
const erfinv_s_low = 2.23606797749978969641; // sqrt(5)
const erfinv_s_high = 4.0;
const erfinv_central_coefficients = [_]f64{
    0x1.805c5cfcedef5p+0,  0x1.3bb315fc2bb3bp-1,  -0x1.abc1e0b7410aep-6,
    -0x1.40b175c870d75p-6, 0x1.175c3ff073a6ep-7,  -0x1.ff9cfb6170b9dp-12,
    -0x1.b55454f286b48p-11, 0x1.3274a4fb19af8p-12, 0x1.57ca2d1c70f62p-16,
    -0x1.5d0352e7ac81bp-15, 0x1.20cbd42da1955p-17, 0x1.9f7032af4baddp-19,
    -0x1.e1f5211a1b1dap-20, -0x1.b1c4c5c0405bep-25, 0x1.5eccb43892d93p-23,
};
const erfinv_tail_coefficients = [_]f64{
    0x1.79c52285ddef5p+1,  0x1.c5337e2e6d068p-1,  0x1.6cfdec18df086p-8,
    -0x1.e64bab566e1a0p-9, 0x1.33f64b22ec77dp-9,  -0x1.67eb848f2c98fp-10,
    0x1.3b003cb329e49p-11, -0x1.1a1b69ecd7832p-13, -0x1.2cd96f4ad651cp-15,
    0x1.81165919dd599p-15, -0x1.1dc0f109a8c28p-16, -0x1.15e7ccc7f219ap-21,
    0x1.8f08a0d267976p-19, -0x1.7c94eab92eea6p-21, -0x1.86949716df4e7p-24,
};

fn erfinvVector(comptime V: type, y: V) V {
    const W = @Vector(@typeInfo(V).vector.len, f64);
    const one: W = @splat(1.0);
    // NaN fails the comparison too; those lanes compute on 0 and are replaced at the end.
    const inside = @abs(y) < splat(V, 1.0);
    const wide: W = @select(f32, inside, y, splat(V, 0.0));
    // 1 - y and 1 + y are exact in float64, and so is their product.
    const w = -logWide(W, (one - wide) * (one + wide));
    const central_t = mulAdd(W, w, @splat(2.0 / erfinv_w_split), -one);
    var ratio = polynomial(W, central_t, &erfinv_central_coefficients);
    const is_tail = w >= @as(W, @splat(erfinv_w_split));
    if (@reduce(.Or, is_tail)) {
        const s = @sqrt(@min(w, @as(W, @splat(erfinv_s_high * erfinv_s_high))));
        const half_width = (erfinv_s_high - erfinv_s_low) / 2.0;
        const middle = (erfinv_s_high + erfinv_s_low) / 2.0;
        const tail_t = (s - @as(W, @splat(middle))) * @as(W, @splat(1.0 / half_width));
        ratio = @select(f64, is_tail, polynomial(W, tail_t, &erfinv_tail_coefficients), ratio);
    }
    const result: V = @floatCast(wide * ratio);
    const sign = @as(Bits(V), @bitCast(y)) & @as(Bits(V), @splat(0x80000000));
    const signed_inf: V = @bitCast(@as(Bits(V), @bitCast(splat(V, std.math.inf(f32)))) | sign);
    const edge = @select(f32, @abs(y) == splat(V, 1.0), signed_inf, splat(V, std.math.nan(f32)));
    return @select(f32, inside, result, edge);
}

/// Natural logarithm of float64 lanes that are normal and positive: t = 2^e m with m in
/// [sqrt(1/2), sqrt(2)), and log(m) = 2 atanh(s) with s = (m - 1) / (m + 1), |s| < 0.1716, by
/// its series to s^17 (the first term left out is below 3e-16).
inline fn logWide(comptime W: type, t: W) W {
    const U = @Vector(@typeInfo(W).vector.len, u64);
    const I = @Vector(@typeInfo(W).vector.len, i64);
    const bits: U = @bitCast(t);
    const mantissa_bits: U = (bits & @as(U, @splat(0x000f_ffff_ffff_ffff))) |
        @as(U, @splat(0x3ff0_0000_0000_0000));
    const in_one_two: W = @bitCast(mantissa_bits);
    const high = in_one_two > @as(W, @splat(std.math.sqrt2));
    const m = @select(f64, high, in_one_two * @as(W, @splat(0.5)), in_one_two);
    const biased: I = @intCast(bits >> @splat(52));
    const exponent: W = @floatFromInt(biased - @as(I, @splat(1023)) +
        @select(i64, high, @as(I, @splat(1)), @as(I, @splat(0))));
    const f = m - @as(W, @splat(1.0));
    const s = f / (f + @as(W, @splat(2.0)));
    const z = s * s;
    const series = comptime blk: {
        var c: [8]f64 = undefined;
        for (&c, 0..) |*term, k| term.* = 2.0 / @as(f64, @floatFromInt(2 * k + 3));
        break :blk c;
    };
    const log_m = mulAdd(W, s * z, polynomial(W, z, &series), s + s);
    return mulAdd(W, exponent, @splat(std.math.ln2), log_m);
}

fn logAddExpVector(comptime V: type, a: V, b: V) V {
    comptime assert(@typeInfo(V).vector.child == f32);
    const high = @max(a, b);
    const low = @min(a, b);
    const sum = high + log1pVector(V, expVector(V, low - high));
    // high for +inf and for both -inf (inf - inf is NaN above); NaN if either is.
    const inf = splat(V, std.math.inf(f32));
    const result = @select(f32, @abs(high) == inf, high, sum);
    return @select(f32, (a != a) | (b != b), splat(V, std.math.nan(f32)), result);
}

// Tests: every function against float64 std.math rounded to float32, on every power of 2 and
// its neighbours, random bit patterns (the whole range) and random values where the function
// varies; the scalar form must equal the vector form bit for bit.

const testing = std.testing;
const ulp_error_max = 2;
const test_lanes = 16;

/// How many values of float type T apart a and b are (0 for two NaNs, and for +0 and -0);
/// for tests.
pub fn ulpDistance(comptime T: type, a: T, b: T) u64 {
    if (a != a and b != b) return 0;
    if (a != a or b != b) return std.math.maxInt(u64);
    return @abs(orderedBits(T, a) - orderedBits(T, b));
}

/// Float bits as an integer that orders as the values do.
fn orderedBits(comptime T: type, x: T) i64 {
    const Int = std.meta.Int(.signed, @bitSizeOf(T));
    const bits: Int = @bitCast(x);
    return if (bits < 0) -@as(i64, bits & std.math.maxInt(Int)) else bits;
}

const Case = struct {
    name: []const u8,
    vector: *const fn (@Vector(test_lanes, f32)) @Vector(test_lanes, f32),
    scalar: *const fn (f32) f32,
    reference: *const fn (f64) f64,
    /// Where random values are drawn uniformly besides random bit patterns.
    low: f32,
    high: f32,
};

fn case(
    comptime name: []const u8,
    comptime f: anytype,
    reference: *const fn (f64) f64,
    low: f32,
    high: f32,
) Case {
    const Vector = @Vector(test_lanes, f32);
    const wrap = struct {
        fn vector(x: Vector) Vector {
            return f(x);
        }
        fn scalar(x: f32) f32 {
            return f(x);
        }
    };
    return .{ .name = name, .vector = &wrap.vector, .scalar = &wrap.scalar,
        .reference = reference, .low = low, .high = high };
}

const Sweep = struct {
    case: Case,
    batch: [test_lanes]f32 = undefined,
    count: usize = 0,
    ulp_max: u64 = 0,
    worst_input: f32 = 0,

    fn add(self: *Sweep, x: f32) !void {
        self.batch[self.count] = x;
        self.count += 1;
        if (self.count == test_lanes) try self.flush();
    }

    fn flush(self: *Sweep) !void {
        const inputs: @Vector(test_lanes, f32) = self.batch;
        const outputs: [test_lanes]f32 = self.case.vector(inputs);
        for (self.batch[0..self.count], outputs[0..self.count]) |x, y| {
            const scalar = self.case.scalar(x);
            const same = @as(u32, @bitCast(scalar)) == @as(u32, @bitCast(y));
            if (!same and !(y != y and scalar != scalar)) {
                const name = self.case.name;
                std.debug.print("{s}({e}): vector {e}, scalar {e}\n", .{ name, x, y, scalar });
                return error.ScalarDiffersFromVector;
            }
            const expected: f32 = @floatCast(self.case.reference(x));
            const distance = ulpDistance(f32, y, expected);
            if (distance > self.ulp_max) {
                self.ulp_max = distance;
                self.worst_input = x;
            }
        }
        self.count = 0;
    }

    fn run(self: *Sweep) !void {
        var prng = std.Random.DefaultPrng.init(0x5eed);
        const random = prng.random();
        // Every power of 2, both signs, with neighbours.
        var exponent: i32 = -149;
        while (exponent <= 127) : (exponent += 1) {
            const power = std.math.ldexp(@as(f32, 1.0), exponent);
            for ([_]f32{ power, -power }) |p| {
                const bits: i32 = @bitCast(p);
                var delta: i32 = -2;
                while (delta <= 2) : (delta += 1) try self.add(@bitCast(bits +% delta));
            }
        }
        var i: usize = 0;
        while (i < 20_000) : (i += 1) {
            const bits = random.int(u32);
            const x: f32 = @bitCast(bits);
            if (x == x) try self.add(x);
            const t = random.float(f32);
            try self.add(self.case.low + (self.case.high - self.case.low) * t);
        }
        try self.flush();
        if (self.ulp_max > ulp_error_max) {
            const name = self.case.name;
            std.debug.print("{s}: {d} ulp at {e}\n", .{ name, self.ulp_max, self.worst_input });
            return error.TooInaccurate;
        }
    }
};

fn sweep(c: Case) !void {
    var s: Sweep = .{ .case = c };
    try s.run();
}

fn referenceExp(x: f64) f64 {
    return @exp(x);
}
fn referenceExpm1(x: f64) f64 {
    return std.math.expm1(x);
}
fn referenceLog(x: f64) f64 {
    return @log(x);
}
fn referenceLog2(x: f64) f64 {
    return @log2(x);
}
fn referenceLog10(x: f64) f64 {
    return @log10(x);
}
fn referenceLog1p(x: f64) f64 {
    return std.math.log1p(x);
}
fn referenceTanh(x: f64) f64 {
    return std.math.tanh(x);
}
fn referenceSin(x: f64) f64 {
    return @sin(x);
}
fn referenceCos(x: f64) f64 {
    return @cos(x);
}
fn referenceErf(x: f64) f64 {
    return @import("special.zig").erf(x);
}
fn referenceErfinv(x: f64) f64 {
    return @import("special.zig").erfinv(x);
}
fn referenceSigmoid(x: f64) f64 {
    return 1.0 / (1.0 + @exp(-x));
}

test "exp and expm1 are within 2 ulp" {
    try sweep(case("exp", exp, referenceExp, -110, 95));
    try sweep(case("exp near 0", exp, referenceExp, -1, 1));
    try sweep(case("expm1", expm1, referenceExpm1, -25, 95));
    try sweep(case("expm1 near 0", expm1, referenceExpm1, -1, 1));
}

test "log, log2, log10 and log1p are within 2 ulp" {
    try sweep(case("log", log, referenceLog, 0, 4));
    try sweep(case("log2", log2, referenceLog2, 0, 4));
    try sweep(case("log10", log10, referenceLog10, 0, 4));
    try sweep(case("log1p", log1p, referenceLog1p, -1, 4));
    try sweep(case("log1p near 0", log1p, referenceLog1p, -0.01, 0.01));
}

test "tanh and sigmoid are within 2 ulp" {
    try sweep(case("tanh", tanh, referenceTanh, -10, 10));
    try sweep(case("tanh near 0", tanh, referenceTanh, -1, 1));
    try sweep(case("sigmoid", sigmoid, referenceSigmoid, -110, 30));
}

/// f at a float32 (the literals in the tests are comptime floats).
fn at(comptime f: anytype, x: f32) f32 {
    return f(x);
}

test "sin and cos are within 2 ulp" {
    try sweep(case("sin", sin, referenceSin, -10, 10));
    try sweep(case("sin to the float32 reduction's bound", sin, referenceSin, -trig_fast_max, trig_fast_max));
    try sweep(case("cos to the float32 reduction's bound", cos, referenceCos, -trig_fast_max, trig_fast_max));
    try sweep(case("sin far", sin, referenceSin, -1e6, 1e6));
    try sweep(case("cos", cos, referenceCos, -10, 10));
    try sweep(case("cos far", cos, referenceCos, -1e6, 1e6));
}

test "erf is within 2 ulp" {
    try sweep(case("erf", erf, referenceErf, -5, 5));
    try sweep(case("erf near 0", erf, referenceErf, -1, 1));
}

test "erfinv is within 2 ulp" {
    try sweep(case("erfinv", erfinv, referenceErfinv, -1, 1));
    try sweep(case("erfinv near 1", erfinv, referenceErfinv, 0.99, 1));
    try sweep(case("erfinv near 0", erfinv, referenceErfinv, -0x1p-10, 0x1p-10));
}

test "logAddExp is within 2 ulp of its larger input's scale" {
    var prng = std.Random.DefaultPrng.init(11);
    const random = prng.random();
    var i: usize = 0;
    while (i < 20_000) : (i += 1) {
        const a = (random.float(f32) - 0.5) * 200;
        const near = a + (random.float(f32) - 0.5) * 40;
        const b = if (i % 2 == 0) near else @as(f32, @bitCast(random.int(u32)));
        if (b != b) continue;
        const wide_high: f64 = @max(a, b);
        const wide_low: f64 = @min(a, b);
        const correction = std.math.log1p(@exp(wide_low - wide_high));
        const y = logAddExp(a, b);
        try testing.expectEqual(@as(u32, @bitCast(y)), @as(u32, @bitCast(logAddExp(b, a))));
        if (std.math.isInf(wide_high)) {
            try expectSame(@floatCast(wide_high), y);
            continue;
        }
        // high + correction cancels when high is near -correction, so the error is relative
        // to the terms, not to the sum; rounding low - high moves the correction by up to
        // correction * |low - high| * eps.
        const expected = wide_high + correction;
        const difference = @abs(wide_low - wide_high);
        const terms = @max(@abs(wide_high), correction, @abs(expected)) + correction * difference;
        const tolerance = 2 * std.math.floatEps(f32) * @max(terms, 0x1p-126);
        try testing.expect(@abs(y - expected) <= tolerance);
    }
    const inf = std.math.inf(f32);
    try expectSame(inf, logAddExp(@as(f32, inf), 1));
    try expectSame(inf, logAddExp(@as(f32, inf), inf));
    try expectSame(-inf, logAddExp(@as(f32, -inf), -inf));
    try expectSame(3, logAddExp(@as(f32, -inf), 3));
    try testing.expect(std.math.isNan(logAddExp(@as(f32, std.math.nan(f32)), -inf)));
    try testing.expect(std.math.isNan(logAddExp(@as(f32, 0), std.math.nan(f32))));
    try expectSame(1e30, logAddExp(@as(f32, 1e30), 1e30 - 1e24));
}

fn expectSame(expected: f32, actual: f32) !void {
    if (expected != expected) return testing.expect(actual != actual);
    try testing.expectEqual(@as(u32, @bitCast(expected)), @as(u32, @bitCast(actual)));
}

test "edge cases are exact" {
    const inf = std.math.inf(f32);
    const nan = std.math.nan(f32);
    const max = std.math.floatMax(f32);
    inline for (.{ exp, expm1, log, log2, log10, log1p, tanh, sigmoid, sin, cos, erf, erfinv }) |f| {
        try testing.expect(std.math.isNan(at(f, nan)));
        try testing.expect(std.math.isNan(at(f, -nan)));
    }
    try expectSame(inf, at(exp, inf));
    try expectSame(0, at(exp, -inf));
    try expectSame(inf, at(exp, 89));
    try expectSame(inf, at(exp, max));
    try expectSame(0, at(exp, -104));
    try expectSame(0, at(exp, -max));
    try expectSame(1, at(exp, 0));
    try expectSame(0x1p-149, at(exp, -103.2));
    try expectSame(inf, at(expm1, inf));
    try expectSame(-1, at(expm1, -inf));
    try expectSame(-0.0, at(expm1, -0.0));
    try expectSame(0x1p-140, at(expm1, 0x1p-140));
    try expectSame(-inf, at(log, 0));
    try expectSame(-inf, at(log, -0.0));
    try expectSame(inf, at(log, inf));
    try testing.expect(std.math.isNan(at(log, -1)));
    try testing.expect(std.math.isNan(at(log, -inf)));
    try expectSame(0, at(log, 1));
    try expectSame(-inf, at(log2, 0));
    try expectSame(inf, at(log10, inf));
    try expectSame(-149, at(log2, 0x1p-149));
    try expectSame(10, at(log10, 1e10));
    try expectSame(-inf, at(log1p, -1));
    try testing.expect(std.math.isNan(at(log1p, -1.5)));
    try expectSame(inf, at(log1p, inf));
    try expectSame(-0.0, at(log1p, -0.0));
    try expectSame(1, at(tanh, inf));
    try expectSame(-1, at(tanh, -inf));
    try expectSame(-0.0, at(tanh, -0.0));
    try expectSame(1, at(tanh, 10));
    try expectSame(0, at(sigmoid, -inf));
    try expectSame(1, at(sigmoid, inf));
    try expectSame(0.5, at(sigmoid, 0));
    try expectSame(-0.0, at(sin, -0.0));
    try expectSame(1, at(cos, -0.0));
    try testing.expect(std.math.isNan(at(sin, inf)));
    try testing.expect(std.math.isNan(at(cos, -inf)));
    try expectSame(-0x1p-149, at(sin, -0x1p-149));
    try expectSame(-0.0, at(erf, -0.0));
    try expectSame(1, at(erf, inf));
    try expectSame(-1, at(erf, -inf));
    try expectSame(-1, at(erf, -4.5));
    try expectSame(inf, at(erfinv, 1));
    try expectSame(-inf, at(erfinv, -1));
    try expectSame(-0.0, at(erfinv, -0.0));
    try testing.expect(std.math.isNan(at(erfinv, 1.0000001)));
    try testing.expect(std.math.isNan(at(erfinv, -inf)));
}

test "every power of 2 has an exact log2" {
    var exponent: i32 = -149;
    while (exponent <= 127) : (exponent += 1) {
        const x = std.math.ldexp(@as(f32, 1.0), exponent);
        try expectSame(@floatFromInt(exponent), at(log2, x));
    }
}
