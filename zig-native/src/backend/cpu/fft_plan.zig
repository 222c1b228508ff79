//! One-dimensional complex FFT plans of any length. A length whose prime factors are all at
//! most `generic_radix_max` runs as a mixed-radix Stockham (autosort) Cooley-Tukey transform:
//! one out-of-place stage per factor (radix 4, 2, 3 and 5 have their own butterflies, other
//! odd factors a direct DFT), results in natural order with no bit reversal. Any other length
//! runs Bluestein's chirp-z algorithm: a circular convolution done with a power-of-two plan.
//! Twiddles are computed in f64, then stored in the plan's element type. Plans compute the
//! forward transform (exp(-2 pi i jk / n)); inverses conjugate on the way in and out.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../../errors.zig");
const memory = @import("../../memory.zig");

/// Largest prime factor run as a Cooley-Tukey stage; beyond it the plan is Bluestein's.
pub const generic_radix_max = 31;
/// Most stages (factors) of a length: 2^31 > any i32 dimension.
const stage_max = 32;

pub fn Complex(comptime T: type) type {
    return extern struct {
        const Self = @This();
        re: T,
        im: T,

        pub const zero: Self = .{ .re = 0, .im = 0 };

        pub inline fn add(a: Self, b: Self) Self {
            return .{ .re = a.re + b.re, .im = a.im + b.im };
        }
        pub inline fn sub(a: Self, b: Self) Self {
            return .{ .re = a.re - b.re, .im = a.im - b.im };
        }
        pub inline fn mul(a: Self, b: Self) Self {
            return .{ .re = a.re * b.re - a.im * b.im, .im = a.re * b.im + a.im * b.re };
        }
        pub inline fn scale(a: Self, factor: T) Self {
            return .{ .re = a.re * factor, .im = a.im * factor };
        }
        pub inline fn conj(a: Self) Self {
            return .{ .re = a.re, .im = -a.im };
        }
        /// `a * -i`.
        pub inline fn mulNegI(a: Self) Self {
            return .{ .re = a.im, .im = -a.re };
        }
        /// exp(-2 pi i numerator / denominator), from f64.
        pub fn root(numerator: u64, denominator: u64) Self {
            assert(denominator > 0);
            const reduced = numerator % denominator;
            const angle = -2.0 * std.math.pi * @as(f64, @floatFromInt(reduced)) /
                @as(f64, @floatFromInt(denominator));
            return .{ .re = @floatCast(@cos(angle)), .im = @floatCast(@sin(angle)) };
        }
    };
}

const Stage = struct {
    radix: u32,
    /// Transform length at this stage (radix * m).
    length: usize,
    /// Start of this stage's twiddles (m * (radix - 1)) in the table.
    twiddle_start: usize,
    /// Start of the radix's roots of unity (radix entries) in the table; generic radices only.
    roots_start: usize,
};

pub fn Plan(comptime T: type) type {
    return struct {
        const Self = @This();
        const C = Complex(T);

        length: usize,
        stages: [stage_max]Stage,
        stage_count: u8,
        /// Twiddles and roots of every stage.
        table: []C,
        bluestein: ?*Bluestein(T),

        /// A plan for transforms of `length` (>= 1) elements.
        pub fn init(length: usize) errors.Error!Self {
            assert(length >= 1);
            var self: Self = .{
                .length = length,
                .stages = undefined,
                .stage_count = 0,
                .table = &.{},
                .bluestein = null,
            };
            const radices = factorize(length, &self.stages) orelse {
                self.bluestein = try Bluestein(T).create(length);
                return self;
            };
            self.stage_count = radices;
            var table_count: usize = 0;
            var remaining = length;
            for (self.stages[0..self.stage_count]) |*stage| {
                stage.length = remaining;
                stage.twiddle_start = table_count;
                table_count += remaining / stage.radix * (stage.radix - 1);
                stage.roots_start = table_count;
                if (isGeneric(stage.radix)) table_count += stage.radix;
                remaining /= stage.radix;
            }
            assert(remaining == 1);
            self.table = memory.allocator.alloc(C, table_count) catch
                return memory.outOfMemory(table_count * @sizeOf(C));
            for (self.stages[0..self.stage_count]) |stage| self.fillStage(stage);
            return self;
        }

        pub fn deinit(self: *Self) void {
            if (self.bluestein) |bluestein| bluestein.destroy();
            memory.allocator.free(self.table);
            self.* = undefined;
        }

        fn fillStage(self: *Self, stage: Stage) void {
            const m = stage.length / stage.radix;
            const twiddles = self.table[stage.twiddle_start..][0 .. m * (stage.radix - 1)];
            for (0..m) |p| {
                const row = twiddles[p * (stage.radix - 1) ..][0 .. stage.radix - 1];
                for (row, 1..) |*slot, k| slot.* = C.root(p * k, stage.length);
            }
            if (isGeneric(stage.radix)) {
                const roots = self.table[stage.roots_start..][0..stage.radix];
                for (roots, 0..) |*slot, j| slot.* = C.root(j, stage.radix);
            }
        }

        /// Complex elements of work space `execute` needs besides the data.
        pub fn workLength(self: *const Self) usize {
            if (self.bluestein) |bluestein| return 2 * bluestein.padded_length;
            return self.length;
        }

        /// The forward DFT of `data` (length elements). `work` holds `workLength()` elements.
        /// Returns the slice holding the result: `data` or the start of `work`.
        pub fn execute(self: *const Self, data: []C, work: []C) []C {
            assert(data.len == self.length);
            assert(work.len >= self.workLength());
            if (self.bluestein) |bluestein| {
                bluestein.execute(data, work);
                return data;
            }
            var source = data;
            var target = work[0..self.length];
            var stride: usize = 1;
            for (self.stages[0..self.stage_count]) |stage| {
                self.runStage(stage, stride, source, target);
                std.mem.swap([]C, &source, &target);
                stride *= stage.radix;
            }
            assert(stride == self.length);
            return source;
        }

        fn runStage(
            self: *const Self,
            stage: Stage,
            stride: usize,
            source: []const C,
            target: []C,
        ) void {
            const m = stage.length / stage.radix;
            assert(m * stage.radix * stride == self.length);
            const twiddles = self.table[stage.twiddle_start..][0 .. m * (stage.radix - 1)];
            switch (stage.radix) {
                2 => butterflies(2, radix2, m, stride, twiddles, source, target),
                3 => butterflies(3, radix3, m, stride, twiddles, source, target),
                4 => butterflies(4, radix4, m, stride, twiddles, source, target),
                5 => butterflies(5, radix5, m, stride, twiddles, source, target),
                else => {
                    const roots = self.table[stage.roots_start..][0..stage.radix];
                    genericButterflies(stage.radix, roots, m, stride, twiddles, source, target);
                },
            }
        }

        /// One Stockham stage of radix `r`: for each p < m and q < stride, the r inputs
        /// x[q + stride (p + j m)] go through a length-r DFT, and output k (times the twiddle
        /// w_length^(p k)) lands at y[q + stride (r p + k)].
        fn butterflies(
            comptime r: usize,
            comptime kernel: fn (*[r]C) void,
            m: usize,
            stride: usize,
            twiddles: []const C,
            source: []const C,
            target: []C,
        ) void {
            for (0..m) |p| {
                const w = twiddles[p * (r - 1) ..][0 .. r - 1];
                for (0..stride) |q| {
                    var values: [r]C = undefined;
                    inline for (0..r) |j| values[j] = source[q + stride * (p + j * m)];
                    kernel(&values);
                    const out = target[q + stride * r * p ..];
                    out[0] = values[0];
                    inline for (1..r) |k| out[stride * k] = values[k].mul(w[k - 1]);
                }
            }
        }

        fn radix2(v: *[2]C) void {
            const a = v[0];
            v[0] = a.add(v[1]);
            v[1] = a.sub(v[1]);
        }

        fn radix3(v: *[3]C) void {
            const half_sqrt3: T = 0.86602540378443864676;
            const sum = v[1].add(v[2]);
            const difference = v[1].sub(v[2]).mulNegI().scale(half_sqrt3);
            const middle = v[0].sub(sum.scale(0.5));
            v[0] = v[0].add(sum);
            v[1] = middle.add(difference);
            v[2] = middle.sub(difference);
        }

        fn radix4(v: *[4]C) void {
            const t0 = v[0].add(v[2]);
            const t1 = v[0].sub(v[2]);
            const t2 = v[1].add(v[3]);
            const t3 = v[1].sub(v[3]).mulNegI();
            v[0] = t0.add(t2);
            v[1] = t1.add(t3);
            v[2] = t0.sub(t2);
            v[3] = t1.sub(t3);
        }

        fn radix5(v: *[5]C) void {
            const c1: T = 0.30901699437494742410; // cos(2 pi / 5)
            const c2: T = -0.80901699437494742410; // cos(4 pi / 5)
            const s1: T = 0.95105651629515357212; // sin(2 pi / 5)
            const s2: T = 0.58778525229247312917; // sin(4 pi / 5)
            const t1 = v[1].add(v[4]);
            const t2 = v[2].add(v[3]);
            const t3 = v[1].sub(v[4]);
            const t4 = v[2].sub(v[3]);
            const b1 = v[0].add(t1.scale(c1)).add(t2.scale(c2));
            const b2 = v[0].add(t1.scale(c2)).add(t2.scale(c1));
            const d1 = t3.scale(s1).add(t4.scale(s2)).mulNegI();
            const d2 = t3.scale(s2).sub(t4.scale(s1)).mulNegI();
            v[0] = v[0].add(t1).add(t2);
            v[1] = b1.add(d1);
            v[4] = b1.sub(d1);
            v[2] = b2.add(d2);
            v[3] = b2.sub(d2);
        }

        /// A stage of an odd radix up to `generic_radix_max`: a direct length-r DFT.
        fn genericButterflies(
            r: usize,
            roots: []const C,
            m: usize,
            stride: usize,
            twiddles: []const C,
            source: []const C,
            target: []C,
        ) void {
            assert(r <= generic_radix_max and roots.len == r);
            var values: [generic_radix_max]C = undefined;
            for (0..m) |p| {
                const w = twiddles[p * (r - 1) ..][0 .. r - 1];
                for (0..stride) |q| {
                    for (0..r) |j| values[j] = source[q + stride * (p + j * m)];
                    const out = target[q + stride * r * p ..];
                    for (0..r) |k| {
                        var sum = values[0];
                        var index: usize = 0;
                        for (1..r) |j| {
                            index += k;
                            if (index >= r) index -= r;
                            sum = sum.add(values[j].mul(roots[index]));
                        }
                        out[stride * k] = if (k == 0) sum else sum.mul(w[k - 1]);
                    }
                }
            }
        }
    };
}

fn isGeneric(radix: u32) bool {
    return radix != 2 and radix != 3 and radix != 4 and radix != 5;
}

/// Splits `length` into radices (4s first, then 2, 3, 5 and larger primes) written to
/// `stages`; null when a prime factor exceeds `generic_radix_max`. Returns the stage count.
fn factorize(length: usize, stages: *[stage_max]Stage) ?u8 {
    var remaining = length;
    var count: u8 = 0;
    while (remaining % 4 == 0) : (remaining /= 4) {
        stages[count] = .{ .radix = 4, .length = 0, .twiddle_start = 0, .roots_start = 0 };
        count += 1;
    }
    var factor: u32 = 2;
    while (remaining > 1) {
        if (factor > generic_radix_max) return null;
        if (remaining % factor == 0) {
            stages[count] = .{ .radix = factor, .length = 0, .twiddle_start = 0, .roots_start = 0 };
            count += 1;
            remaining /= factor;
        } else {
            factor += if (factor == 2) 1 else 2;
        }
    }
    assert(count <= stage_max);
    return count;
}

/// Bluestein's algorithm for a length n with a large prime factor: with the chirp
/// c[k] = exp(-i pi k^2 / n), X[k] = c[k] * sum_j (x[j] c[j]) conj(c[k - j]), a convolution
/// done circularly over a power of two >= 2n - 1 with the kernel's transform precomputed.
fn Bluestein(comptime T: type) type {
    return struct {
        const Self = @This();
        const C = Complex(T);

        length: usize,
        padded_length: usize,
        /// c[k], k < length.
        chirp: []C,
        /// The transform of the kernel conj(c[|k|]) over padded_length, divided by it.
        kernel_spectrum: []C,
        sub_plan: Plan(T),

        fn create(length: usize) errors.Error!*Self {
            assert(length > 1);
            const self = memory.allocator.create(Self) catch
                return memory.outOfMemory(@sizeOf(Self));
            errdefer memory.allocator.destroy(self);
            const padded_length = std.math.ceilPowerOfTwo(usize, 2 * length - 1) catch
                return memory.outOfMemory(std.math.maxInt(usize));
            var sub_plan = try Plan(T).init(padded_length);
            errdefer sub_plan.deinit();
            assert(sub_plan.bluestein == null);
            const chirp = memory.allocator.alloc(C, length) catch
                return memory.outOfMemory(length * @sizeOf(C));
            errdefer memory.allocator.free(chirp);
            for (chirp, 0..) |*slot, k| slot.* = C.root(@as(u64, k) * k, 2 * length);
            const kernel_spectrum = try kernelSpectrum(length, padded_length);
            self.* = .{
                .length = length,
                .padded_length = padded_length,
                .chirp = chirp,
                .kernel_spectrum = kernel_spectrum,
                .sub_plan = sub_plan,
            };
            return self;
        }

        /// The kernel's transform, computed in f64 and stored in T.
        fn kernelSpectrum(length: usize, padded_length: usize) errors.Error![]C {
            const C64 = Complex(f64);
            const scratch = memory.allocator.alloc(C64, 2 * padded_length) catch
                return memory.outOfMemory(2 * padded_length * @sizeOf(C64));
            defer memory.allocator.free(scratch);
            var plan = try Plan(f64).init(padded_length);
            defer plan.deinit();
            const kernel = scratch[0..padded_length];
            @memset(kernel, C64.zero);
            for (0..length) |k| {
                const value = C64.root(@as(u64, k) * k, 2 * length).conj();
                kernel[k] = value;
                if (k > 0) kernel[padded_length - k] = value;
            }
            const spectrum = plan.execute(kernel, scratch[padded_length..]);
            const result = memory.allocator.alloc(C, padded_length) catch
                return memory.outOfMemory(padded_length * @sizeOf(C));
            const factor = 1.0 / @as(f64, @floatFromInt(padded_length));
            for (result, spectrum) |*slot, value| {
                const scaled = value.scale(factor);
                slot.* = .{ .re = @floatCast(scaled.re), .im = @floatCast(scaled.im) };
            }
            return result;
        }

        fn destroy(self: *Self) void {
            self.sub_plan.deinit();
            memory.allocator.free(self.chirp);
            memory.allocator.free(self.kernel_spectrum);
            memory.allocator.destroy(self);
        }

        /// Transforms `data` in place; `work` holds 2 * padded_length elements.
        fn execute(self: *const Self, data: []C, work: []C) void {
            assert(data.len == self.length);
            assert(work.len >= 2 * self.padded_length);
            const padded = work[0..self.padded_length];
            const spare = work[self.padded_length..][0..self.padded_length];
            for (padded[0..self.length], data, self.chirp) |*slot, x, c| slot.* = x.mul(c);
            @memset(padded[self.length..], C.zero);
            const spectrum = self.sub_plan.execute(padded, spare);
            // The inverse transform as conj(forward(conj(.))): the conjugate goes in here.
            for (spectrum, self.kernel_spectrum) |*slot, k| slot.* = slot.mul(k).conj();
            const other = if (spectrum.ptr == padded.ptr) spare else padded;
            const convolution = self.sub_plan.execute(spectrum, other);
            for (data, convolution[0..self.length], self.chirp) |*slot, y, c| {
                slot.* = y.conj().mul(c);
            }
        }
    };
}

/// The DFT by its definition, in f64: the tests' oracle.
pub fn referenceDft(input: []const Complex(f64), output: []Complex(f64)) void {
    assert(input.len == output.len);
    const n = input.len;
    for (output, 0..) |*slot, k| {
        var sum = Complex(f64).zero;
        for (input, 0..) |x, j| sum = sum.add(x.mul(Complex(f64).root(@as(u64, j) * k, n)));
        slot.* = sum;
    }
}

fn checkLength(length: usize) !void {
    const C32 = Complex(f32);
    const C64 = Complex(f64);
    const allocator = std.testing.allocator;
    const input = try allocator.alloc(C64, length);
    defer allocator.free(input);
    const expected = try allocator.alloc(C64, length);
    defer allocator.free(expected);
    var prng = std.Random.DefaultPrng.init(length);
    const random = prng.random();
    for (input) |*x| x.* = .{ .re = random.float(f64) * 2 - 1, .im = random.float(f64) * 2 - 1 };
    referenceDft(input, expected);
    var plan = try Plan(f32).init(length);
    defer plan.deinit();
    const data = try allocator.alloc(C32, length);
    defer allocator.free(data);
    const work = try allocator.alloc(C32, plan.workLength());
    defer allocator.free(work);
    for (data, input) |*slot, x| slot.* = .{ .re = @floatCast(x.re), .im = @floatCast(x.im) };
    const result = plan.execute(data, work);
    var error_squared: f64 = 0;
    var norm_squared: f64 = 0;
    for (result, expected) |got, want| {
        const dr = @as(f64, got.re) - want.re;
        const di = @as(f64, got.im) - want.im;
        error_squared += dr * dr + di * di;
        norm_squared += want.re * want.re + want.im * want.im;
    }
    const relative = @sqrt(error_squared / @max(norm_squared, 1e-300));
    if (relative > 2e-6) {
        std.debug.print("length {d}: relative error {e}\n", .{ length, relative });
        return error.TestExpectedApproxEqRel;
    }
}

test "plans of many lengths match the direct DFT at float32 accuracy" {
    const lengths = [_]usize{
        1,  2,  3,  4,  5,  6,  7,   8,   9,   11,  12,  13,  16,   17,   25,   27,     29, 30, 31,
        32, 37, 49, 60, 64, 97, 100, 121, 127, 210, 256, 961, 1000, 1009, 1024, 2 * 37,
    };
    for (lengths) |length| try checkLength(length);
}

test "factorization picks radix 4 first and Bluestein beyond the generic radices" {
    var stages: [stage_max]Stage = undefined;
    try std.testing.expectEqual(@as(?u8, 3), factorize(32, &stages));
    try std.testing.expectEqual(@as(u32, 4), stages[0].radix);
    try std.testing.expectEqual(@as(u32, 2), stages[2].radix);
    try std.testing.expectEqual(@as(?u8, 3), factorize(30, &stages));
    try std.testing.expectEqual(@as(?u8, null), factorize(2 * 37, &stages));
    try std.testing.expectEqual(@as(?u8, 0), factorize(1, &stages));
}
