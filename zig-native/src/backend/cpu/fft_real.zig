//! Real transforms of even length n through a complex transform of length h = n / 2. The
//! forward one packs x into z[j] = x[2j] + i x[2j+1]; with Z its transform, the even and
//! odd samples' transforms are E[k] = (Z[k] + conj(Z[h-k])) / 2 and
//! O[k] = (Z[k] - conj(Z[h-k])) / 2i, and X[k] = E[k] + w^k O[k] (w = exp(-2 pi i / n)) for
//! k <= h. The inverse runs it backwards: from the n/2 + 1 terms of a Hermitian spectrum,
//! Z[k] = (X[k] + X[k+h]) + i (X[k] - X[k+h]) w^-k with X[k+h] = conj(X[h-k]), whose inverse
//! transform holds n x[2j] + i n x[2j+1]. The imaginary parts of X[0] and X[h] are ignored.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../../errors.zig");
const memory = @import("../../memory.zig");
const fft_plan = @import("fft_plan.zig");

const C32 = fft_plan.Complex(f32);

/// w^k = exp(-2 pi i k / n) for k <= n / 2, computed in f64.
pub fn twiddles(length: usize) errors.Error![]C32 {
    assert(length % 2 == 0 and length >= 2);
    const count = length / 2 + 1;
    const table = memory.allocator.alloc(C32, count) catch
        return memory.outOfMemory(count * @sizeOf(C32));
    for (table, 0..) |*slot, k| slot.* = C32.root(k, length);
    return table;
}

/// X[k] (k <= h) of the real signal packed into `z`, from its transform `spectrum` (length h).
pub inline fn spectrumTerm(spectrum: []const C32, table: []const C32, k: usize) C32 {
    const h = spectrum.len;
    assert(table.len == h + 1 and k <= h);
    const direct = spectrum[if (k == h) 0 else k];
    const mirrored = spectrum[if (k == 0) 0 else h - k].conj();
    const even = direct.add(mirrored).scale(0.5);
    const odd = direct.sub(mirrored).scale(0.5).mulNegI();
    return even.add(table[k].mul(odd));
}

/// Z[k] (k < h) of the packed inverse, from the n/2 + 1 terms of `half_spectrum`.
pub inline fn packedTerm(half_spectrum: []const C32, table: []const C32, k: usize) C32 {
    const h = half_spectrum.len - 1;
    assert(table.len == h + 1 and k < h);
    var low = half_spectrum[k];
    var high = half_spectrum[h - k].conj();
    if (k == 0) {
        low.im = 0;
        high.im = 0;
    }
    const sum = low.add(high);
    const rotated = low.sub(high).mul(table[k].conj());
    return .{ .re = sum.re - rotated.im, .im = sum.im + rotated.re };
}

test "the packed forward and inverse real transforms match the direct DFT" {
    const C64 = fft_plan.Complex(f64);
    const n = 12;
    const h = n / 2;
    var x: [n]f64 = undefined;
    for (&x, 0..) |*v, i| v.* = @as(f64, @floatFromInt((i * 7) % 5)) - 1.5;
    var wide: [n]C64 = undefined;
    for (&wide, x) |*slot, v| slot.* = .{ .re = v, .im = 0 };
    var want: [n]C64 = undefined;
    fft_plan.referenceDft(&wide, &want);
    const table = try twiddles(n);
    defer memory.allocator.free(table);
    // Z = DFT_h(z), done directly in f64 then rounded.
    var packed_wide: [h]C64 = undefined;
    for (&packed_wide, 0..) |*slot, j| slot.* = .{ .re = x[2 * j], .im = x[2 * j + 1] };
    var spectrum_wide: [h]C64 = undefined;
    fft_plan.referenceDft(&packed_wide, &spectrum_wide);
    var spectrum: [h]C32 = undefined;
    for (&spectrum, spectrum_wide) |*slot, v| {
        slot.* = .{ .re = @floatCast(v.re), .im = @floatCast(v.im) };
    }
    var half: [h + 1]C32 = undefined;
    for (&half, 0..) |*slot, k| {
        slot.* = spectrumTerm(&spectrum, table, k);
        try std.testing.expectApproxEqAbs(want[k].re, slot.re, 1e-4);
        try std.testing.expectApproxEqAbs(want[k].im, slot.im, 1e-4);
    }
    // Back: z' = IDFT_h(Z') = n (x[2j] + i x[2j+1]).
    var packed_back: [h]C64 = undefined;
    for (&packed_back, 0..) |*slot, k| {
        const term = packedTerm(&half, table, k);
        slot.* = .{ .re = term.re, .im = -term.im };
    }
    var back: [h]C64 = undefined;
    fft_plan.referenceDft(&packed_back, &back);
    for (back, 0..) |v, j| {
        try std.testing.expectApproxEqAbs(x[2 * j], v.re / n, 1e-4);
        try std.testing.expectApproxEqAbs(x[2 * j + 1], -v.im / n, 1e-4);
    }
}
