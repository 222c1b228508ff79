//! Special functions the standard library lacks: erf and its inverse, in float64 (float32
//! callers round the result).

const std = @import("std");
const assert = std.debug.assert;

const two_over_sqrt_pi = 1.1283791670955126;

/// The error function, accurate to a few ulp of float64: Taylor series below |x| = 2,
/// 1 - erfc(x) by continued fraction above.
pub fn erf(x: f64) f64 {
    if (std.math.isNan(x)) return x;
    const ax = @abs(x);
    if (ax < 2.0) {
        // erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
        const x2 = x * x;
        var term = x;
        var total = x;
        var n: f64 = 0;
        while (n < 60) : (n += 1) {
            term *= -x2 / (n + 1);
            const contribution = term / (2 * n + 3);
            total += contribution;
            if (@abs(contribution) < 1e-17 * @abs(total)) break;
        }
        return two_over_sqrt_pi * total;
    }
    if (ax > 6.0) return std.math.copysign(@as(f64, 1.0), x);
    const result = 1.0 - erfcLarge(ax);
    return if (x < 0) -result else result;
}

/// erfc(x) for x >= 2 by the continued fraction (modified Lentz).
fn erfcLarge(x: f64) f64 {
    assert(x >= 2.0);
    // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + 2/(x + ...)))))
    const tiny = 1e-300;
    var f: f64 = x;
    var c: f64 = x;
    var d: f64 = 0;
    var k: f64 = 1;
    while (k < 200) : (k += 1) {
        const a = k / 2.0;
        d = x + a * d;
        if (d == 0) d = tiny;
        c = x + a / c;
        if (c == 0) c = tiny;
        d = 1.0 / d;
        const delta = c * d;
        f *= delta;
        if (@abs(delta - 1.0) < 1e-16) break;
    }
    return @exp(-x * x) / (f * std.math.sqrt(std.math.pi));
}

/// The inverse error function on [-1, 1]: Giles' single-precision approximation refined by
/// Newton steps on `erf`. Returns +-inf at +-1 and NaN outside.
pub fn erfinv(y: f64) f64 {
    if (std.math.isNan(y) or y < -1.0 or y > 1.0) return std.math.nan(f64);
    if (y == 1.0) return std.math.inf(f64);
    if (y == -1.0) return -std.math.inf(f64);
    var x = gilesErfinv(y);
    var step: u8 = 0;
    while (step < 3) : (step += 1) {
        const err = erf(x) - y;
        x -= err / (two_over_sqrt_pi * @exp(-x * x));
    }
    return x;
}

fn gilesErfinv(y: f64) f64 {
    var w = -@log((1.0 - y) * (1.0 + y));
    var p: f64 = undefined;
    if (w < 5.0) {
        w -= 2.5;
        p = 2.81022636e-08;
        p = 3.43273939e-07 + p * w;
        p = -3.5233877e-06 + p * w;
        p = -4.39150654e-06 + p * w;
        p = 0.00021858087 + p * w;
        p = -0.00125372503 + p * w;
        p = -0.00417768164 + p * w;
        p = 0.246640727 + p * w;
        p = 1.50140941 + p * w;
    } else {
        w = @sqrt(w) - 3.0;
        p = -0.000200214257;
        p = 0.000100950558 + p * w;
        p = 0.00134934322 + p * w;
        p = -0.00367342844 + p * w;
        p = 0.00573950773 + p * w;
        p = -0.0076224613 + p * w;
        p = 0.00943887047 + p * w;
        p = 1.00167406 + p * w;
        p = 2.83297682 + p * w;
    }
    return p * y;
}

test "erf and erfinv agree with reference values" {
    const t = std.testing;
    try t.expectApproxEqRel(@as(f64, 0.8427007929497149), erf(1.0), 1e-14);
    try t.expectApproxEqRel(@as(f64, 0.9953222650189527), erf(2.0), 1e-14);
    try t.expectApproxEqRel(@as(f64, -0.9999779095030014), erf(-3.0), 1e-14);
    try t.expectApproxEqRel(@as(f64, 0.1124629160182849), erf(0.1), 1e-14);
    try t.expectApproxEqRel(@as(f64, 0.4769362762044699), erfinv(0.5), 1e-13);
    try t.expectApproxEqRel(@as(f64, -1.8213863677184496), erfinv(-0.99), 1e-13);
    try t.expect(std.math.isNan(erfinv(1.5)));
}
