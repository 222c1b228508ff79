//! Quantized weights on the CPU, in MLX's formats.
//!
//! A quantized row of K values is a little-endian bit stream: value i occupies bits
//! [i * bits, (i + 1) * bits), least significant first. For 2, 4 and 8 bits that is MLX's uint32
//! packing; for 3, 5 and 6 bits it is MLX's byte packing (8 values in 3 or 5 bytes, 4 values in
//! 3 bytes). Values come in groups of `group_size` along the row, each with a scale (and, in
//! affine mode, a bias): w = scale * q + bias. mxfp4 stores e2m1 codes (a 16-entry table) with
//! one e8m0 scale byte (2^(s - 127)) per group of 32 and no bias.
//!
//! Kernels:
//! - `quantizeGroups`: MLX's CPU quantizer, rounding for rounding (rint, f32 division).
//! - `dequantizeRows`: the dequantized matrix, rounded as MLX's composed fallback rounds.
//! - Products with few rows of x (decoding): quantized_matvec.zig.
//! - `GemmSource`: larger products run the blocked GEMM (gemm.zig) with B panels decoded from
//!   the quantized weights while packing; A is x.

const std = @import("std");
const assert = std.debug.assert;
const dtype_mod = @import("../../dtype.zig");
const gemm = @import("gemm.zig");
const pool = @import("pool.zig");
const lanes_mod = @import("quantized_lanes.zig");

pub const Mode = enum(u8) { affine = 0, mxfp4 = 1 };

/// The quantization of one matrix.
pub const Format = struct {
    group_size: u32,
    bits: u8,
    mode: Mode,

    pub fn isValid(self: Format) bool {
        return switch (self.mode) {
            .affine => (self.group_size == 32 or self.group_size == 64 or self.group_size == 128) and
                (self.bits >= 2 and self.bits <= 8 and self.bits != 7),
            .mxfp4 => self.group_size == 32 and self.bits == 4,
        };
    }

    /// Bytes of a quantized row of `k` values (k is a multiple of the group size).
    pub fn rowBytes(self: Format, k: usize) usize {
        assert(k % self.group_size == 0);
        return k * self.bits / 8;
    }
};

/// mxfp4's e2m1 values by code.
pub const fp4_values = [16]f32{ 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, -0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0, -6.0 };

/// 2^(code - 127), as MLX's e8m0 scale (code 0 reads as 2^-127 via bfloat16's smallest
/// normal-adjacent pattern, which MLX's kernels also use).
pub fn e8m0(code: u8) f32 {
    const bits: u32 = if (code == 0) 0x00400000 else @as(u32, code) << 23;
    return @bitCast(bits);
}

/// Round half to even (C's rint) for |x| < 2^22, the range of quantization codes.
pub fn rint(x: f32) f32 {
    const magic: f32 = 12582912.0; // 1.5 * 2^23
    if (!(@abs(x) < 4194304.0)) return x;
    const shifted = x + magic;
    return shifted - magic;
}

/// Code `index` of a quantized row.
pub inline fn extract(comptime bits: u8, row: [*]const u8, index: usize) u32 {
    const mask: u32 = (1 << bits) - 1;
    const bit = index * bits;
    const byte = bit / 8;
    const shift: u5 = @intCast(bit % 8);
    var word: u32 = row[byte];
    if (@as(u32, shift) + bits > 8) word |= @as(u32, row[byte + 1]) << 8;
    return (word >> shift) & mask;
}

fn toF32(comptime T: type, value: T) f32 {
    return if (T == u8) @floatFromInt(value) else gemm.toF32(T, value);
}

/// Rounds an f32 to `T` and back (the rounding an op in `T` applies).
fn through(comptime T: type, value: f32) f32 {
    return gemm.toF32(T, gemm.fromF32(T, value));
}

// ---------------------------------------------------------------------------------------------
// Quantize

/// What `quantizeGroups` writes: the packed codes, the scales or the biases.
pub const Part = enum(u8) { codes = 0, scales = 1, biases = 2 };

/// MLX's affine parameters of one group, in f32 (before rounding to the weight dtype).
const AffineGroup = struct { scale: f32, bias: f32 };

fn affineGroup(comptime T: type, bits: u8, values: []const T) AffineGroup {
    const n_bins: f32 = @floatFromInt((@as(u32, 1) << @intCast(bits)) - 1);
    const eps: f32 = 1e-7;
    var w_min: f32 = std.math.inf(f32);
    var w_max: f32 = -std.math.inf(f32);
    for (values) |v| {
        const f = gemm.toF32(T, v);
        w_max = @max(w_max, f);
        w_min = @min(w_min, f);
    }
    const mask = @abs(w_min) > @abs(w_max);
    var scale = @max((w_max - w_min) / n_bins, eps);
    scale = if (mask) scale else -scale;
    const edge = if (mask) w_min else w_max;
    const q0 = rint(edge / scale);
    var bias: f32 = 0;
    if (q0 != 0) {
        scale = edge / q0;
        bias = edge;
    }
    return .{ .scale = scale, .bias = bias };
}

/// mxfp4 of one group, computed in `T` as MLX 0.32.4 does: the scale is the smallest power of
/// two at or above max|w| / 6 (so no value needs more than the table's 6), the codes the
/// nearest table entries (the first of equals).
fn fp4Group(comptime T: type, values: []const T, codes: []u8) u8 {
    assert(values.len == 32 and codes.len == 32);
    var amax: f32 = 0;
    for (values) |v| amax = @max(amax, @abs(gemm.toF32(T, v)));
    const scale = through(T, amax / 6.0);
    var exponent: i32 = 0;
    if (scale != 0 and std.math.isFinite(scale)) {
        const parts = std.math.frexp(scale); // scale = fraction * 2^exponent, fraction in [0.5, 1)
        exponent = if (parts.significand == 0.5) parts.exponent - 1 else parts.exponent;
    }
    const power = through(T, std.math.ldexp(@as(f32, 1), std.math.clamp(exponent, -160, 160)));
    for (values, codes) |v, *code| {
        const scaled = through(T, gemm.toF32(T, v) / power);
        var best: u8 = 0;
        var best_distance = std.math.inf(f32);
        for (fp4_values, 0..) |table_value, j| {
            const distance = @abs(through(T, scaled - through(T, table_value)));
            if (distance < best_distance) {
                best_distance = distance;
                best = @intCast(j);
            }
        }
        code.* = best;
    }
    return @truncate(@as(u32, @bitCast(exponent + 127)));
}

/// Quantizes `groups` groups of `w` (row-major, the groups back to back). `codes` gets
/// group_size * bits / 8 bytes per group; `params` one value per group (`T`, or u8 for mxfp4
/// scales); which of them is written is `part`.
pub fn QuantizeJob(comptime T: type) type {
    return struct {
        w: [*]const T,
        format: Format,
        part: Part,
        codes: [*]u8,
        params: [*]u8,

        const Self = @This();

        pub fn run(self: *const Self, groups: usize) void {
            pool.parallelFor(groups, 256, self, range);
        }

        fn range(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const Self = @ptrCast(@alignCast(context));
            const gs = self.format.group_size;
            const group_bytes = gs * self.format.bits / 8;
            for (start..end) |g| {
                const values = self.w[g * gs ..][0..gs];
                var codes: [128]u8 = undefined;
                switch (self.format.mode) {
                    .affine => {
                        const p = affineGroup(T, self.format.bits, values);
                        switch (self.part) {
                            .codes => {
                                const n_bins: f32 = @floatFromInt((@as(u32, 1) << @intCast(self.format.bits)) - 1);
                                for (values, 0..) |v, i| {
                                    const q = rint((gemm.toF32(T, v) - p.bias) / p.scale);
                                    codes[i] = @intFromFloat(std.math.clamp(q, 0, n_bins));
                                }
                            },
                            .scales, .biases => {
                                const value = if (self.part == .scales) p.scale else p.bias;
                                const out: [*]T = @ptrCast(@alignCast(self.params));
                                out[g] = gemm.fromF32(T, value);
                                continue;
                            },
                        }
                    },
                    .mxfp4 => {
                        const exponent = fp4Group(T, values, codes[0..32]);
                        if (self.part == .scales) {
                            self.params[g] = exponent;
                            continue;
                        }
                        assert(self.part == .codes);
                    },
                }
                pack(self.format.bits, codes[0..gs], self.codes[g * group_bytes ..][0..group_bytes]);
            }
        }
    };
}

/// Packs codes (each < 2^bits) into a little-endian bit stream.
fn pack(bits: u8, codes: []const u8, out: []u8) void {
    assert(codes.len * bits == out.len * 8);
    @memset(out, 0);
    for (codes, 0..) |code, i| {
        const bit = i * bits;
        const shift: u4 = @intCast(bit % 8);
        const wide: u16 = @as(u16, code) << shift;
        out[bit / 8] |= @truncate(wide);
        if (@as(u32, shift) + bits > 8) out[bit / 8 + 1] |= @truncate(wide >> 8);
    }
}

// ---------------------------------------------------------------------------------------------
// Dequantize

/// A quantized matrix: `rows` rows of `k` values; row r's codes start at `codes + r *
/// row_bytes`, its scales/biases at `r * groups` (row-major, contiguous).
/// Longest run `Matrix.decodeStrided` takes (a GEMM panel's depth).
pub const decode_run_max = gemm.kc;
/// Lanes of `decodeStrided`'s chunks: 8, so that every width's chunk (at most 128 codes)
/// divides the panel depth.
const decode_lanes = 8;

pub fn Matrix(comptime S: type) type {
    return struct {
        codes: [*]const u8,
        scales: [*]const S,
        biases: ?[*]const S,
        format: Format,
        k: usize,

        const Self = @This();

        pub fn groups(self: *const Self) usize {
            return self.k / self.format.group_size;
        }

        /// Values `start .. start + out.len` of row `row` in f32 (for products: no rounding
        /// to the scale type between the multiply and the add).
        pub fn decode(self: *const Self, row: usize, start: usize, out: []f32) void {
            switch (self.format.bits) {
                inline 2, 3, 4, 5, 6, 8 => |bits| self.decodeBits(bits, row, start, out),
                else => unreachable,
            }
        }

        /// Values `start .. start + count` of row `row` in f32, value i to `out[i * stride]`
        /// (a column of a GEMM panel), rounded as `decode`. Affine rows aligned to whole chunks
        /// unpack a chunk in vector registers (quantized_lanes.zig) and store lane by lane.
        pub fn decodeStrided(self: *const Self, row: usize, start: usize, count: usize,
            out: [*]f32, stride: usize) void {
            assert(count <= decode_run_max);
            if (self.format.mode == .affine) {
                switch (self.format.bits) {
                    inline 2, 3, 4, 5, 6, 8 => |bits| {
                        const chunk = lanes_mod.Lanes(bits, decode_lanes).chunk_codes;
                        if (start % chunk == 0 and count % chunk == 0) {
                            return self.decodeChunks(bits, row, start, count, out, stride);
                        }
                    },
                    else => unreachable,
                }
            }
            var line: [decode_run_max]f32 = undefined;
            self.decode(row, start, line[0..count]);
            for (line[0..count], 0..) |value, i| out[i * stride] = value;
        }

        fn decodeChunks(self: *const Self, comptime bits: u8, row: usize, start: usize,
            count: usize, out: [*]f32, stride: usize) void {
            const L = lanes_mod.Lanes(bits, decode_lanes);
            const V = @Vector(decode_lanes, f32);
            const codes = self.codes + row * self.format.rowBytes(self.k);
            const gs = self.format.group_size;
            const params = row * self.groups();
            var base = start;
            while (base < start + count) : (base += L.chunk_codes) {
                const words = L.load(codes + base / L.chunk_codes * L.chunk_bytes);
                var scale_lanes: [decode_lanes]f32 = undefined;
                var bias_lanes: [decode_lanes]f32 = undefined;
                for (0..decode_lanes) |i| {
                    const g = (base + i * L.per_lane) / gs;
                    scale_lanes[i] = toF32(S, self.scales[params + g]);
                    bias_lanes[i] = toF32(S, self.biases.?[params + g]);
                }
                const scale: V = scale_lanes;
                const bias: V = bias_lanes;
                inline for (0..L.per_lane) |j| {
                    const x_scales: V = comptime blk: {
                        var v: [decode_lanes]f32 = undefined;
                        for (0..decode_lanes) |i| v[i] = L.xScale(i, j);
                        break :blk v;
                    };
                    // code() gives q * 2^o; times 2^-o is q exactly; then decode's q * s + b.
                    const q = L.code(words, j) * x_scales;
                    const values: [decode_lanes]f32 = q * scale + bias;
                    for (0..decode_lanes) |i| {
                        out[(base - start + i * L.per_lane + j) * stride] = values[i];
                    }
                }
            }
        }

        fn decodeBits(self: *const Self, comptime bits: u8, row: usize, start: usize, out: []f32) void {
            const codes = self.codes + row * self.format.rowBytes(self.k);
            const gs = self.format.group_size;
            const params = row * self.groups();
            var i: usize = 0;
            while (i < out.len) {
                const index = start + i;
                const g = index / gs;
                const run_end = @min(out.len, (g + 1) * gs - start);
                switch (self.format.mode) {
                    .affine => {
                        const scale = toF32(S, self.scales[params + g]);
                        const bias = toF32(S, self.biases.?[params + g]);
                        while (i < run_end) : (i += 1) {
                            const q: f32 = @floatFromInt(extract(bits, codes, start + i));
                            out[i] = q * scale + bias;
                        }
                    },
                    .mxfp4 => {
                        const scale_codes: [*]const u8 = @ptrCast(self.scales);
                        const scale = e8m0(scale_codes[params + g]);
                        while (i < run_end) : (i += 1) {
                            out[i] = fp4_values[extract(bits, codes, start + i)] * scale;
                        }
                    },
                }
            }
        }
    };
}

/// Writes the dequantized rows into `out` (row-major `rows x k`, dtype `T`), rounding as MLX:
/// affine: T(T(q * scale) + bias); mxfp4: T(table[q] * T(2^(s - 127))).
pub fn DequantizeJob(comptime S: type, comptime T: type) type {
    return struct {
        matrix: Matrix(S),
        out: [*]T,

        const Self = @This();

        pub fn run(self: *const Self, row_count: usize) void {
            const grain = @max(1, (1 << 14) / @max(self.matrix.k, 1));
            pool.parallelFor(row_count, grain, self, range);
        }

        fn range(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const Self = @ptrCast(@alignCast(context));
            switch (self.matrix.format.bits) {
                inline 2, 3, 4, 5, 6, 8 => |bits| self.rowRange(bits, start, end),
                else => unreachable,
            }
        }

        fn rowRange(self: *const Self, comptime bits: u8, start: usize, end: usize) void {
            const m = &self.matrix;
            const gs = m.format.group_size;
            const row_bytes = m.format.rowBytes(m.k);
            for (start..end) |r| {
                const codes = m.codes + r * row_bytes;
                const out = self.out + r * m.k;
                for (0..m.groups()) |g| {
                    const p = r * m.groups() + g;
                    switch (m.format.mode) {
                        .affine => {
                            const scale = toF32(S, m.scales[p]);
                            const bias = toF32(S, m.biases.?[p]);
                            for (g * gs..(g + 1) * gs) |i| {
                                const q: f32 = @floatFromInt(extract(bits, codes, i));
                                out[i] = gemm.fromF32(T, through(T, q * scale) + bias);
                            }
                        },
                        .mxfp4 => {
                            const scale_codes: [*]const u8 = @ptrCast(m.scales);
                            const scale = through(T, e8m0(scale_codes[p]));
                            for (g * gs..(g + 1) * gs) |i| {
                                out[i] = gemm.fromF32(T, fp4_values[extract(bits, codes, i)] * scale);
                            }
                        },
                    }
                }
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Products with many rows: the blocked GEMM with decoded B panels

/// A `gemm.Blocked` source: A is x (any strides, f32/f16/bf16), B[k][n] the dequantized
/// weights: w[n][k] when `transpose` (MLX's default, weights [N, K]) else w[k][n].
pub fn GemmSource(comptime S: type, comptime T: type) type {
    return struct {
        x: gemm.Problem(T),
        matrix: Matrix(S),
        transpose: bool,
        /// Per batch matrix: byte offset of its codes, element offset of its params.
        w_offsets: []const usize,
        p_offsets: []const usize,
        out: [*]T,
        batch: usize,
        m: usize,
        n: usize,
        k: usize,

        const Self = @This();
        const nr_t = gemm.nrOf(f32);
        /// B panels are decoded to f32, so A packs as f32 whatever the target.
        pub const Packed = f32;

        pub fn outRowStride(self: *const Self) usize {
            return self.n;
        }

        pub fn outOffset(self: *const Self, batch: usize) usize {
            return batch * self.m * self.n;
        }

        pub fn packA(self: *const Self, batch: usize, row0: usize, depth0: usize, rows: usize,
            depth: usize, out: []f32) void {
            gemm.packPanels(T, gemm.mr, &self.x.a, batch, row0, depth0, rows, depth, .rows, out);
        }

        pub fn packB(self: *const Self, batch: usize, depth0: usize, column0: usize,
            depth: usize, columns: usize, out: []f32) void {
            var local = self.matrix;
            local.codes = self.matrix.codes + self.w_offsets[batch];
            local.scales = self.matrix.scales + self.p_offsets[batch];
            if (self.matrix.biases) |biases| local.biases = biases + self.p_offsets[batch];
            var panel_column: usize = 0;
            while (panel_column < columns) : (panel_column += nr_t) {
                const panel = out[panel_column * depth ..][0 .. nr_t * depth];
                const width = @min(nr_t, columns - panel_column);
                if (self.transpose) {
                    // Weight row n holds column n of B: `depth` values down panel column j.
                    assert(depth <= gemm.kc);
                    for (0..width) |j| {
                        local.decodeStrided(column0 + panel_column + j, depth0, depth,
                            panel[j..].ptr, nr_t);
                    }
                } else {
                    // Weight row k holds row k of B: decode `width` values per depth index.
                    for (0..depth) |kk| {
                        const dst = panel[kk * nr_t ..][0..nr_t];
                        local.decode(depth0 + kk, column0 + panel_column, dst[0..width]);
                    }
                }
                if (width < nr_t) {
                    for (0..depth) |kk| @memset(panel[kk * nr_t + width ..][0 .. nr_t - width], 0);
                }
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Tests

test "rint rounds half to even" {
    try std.testing.expectEqual(@as(f32, 2), rint(2.5));
    try std.testing.expectEqual(@as(f32, 4), rint(3.5));
    try std.testing.expectEqual(@as(f32, -2), rint(-2.5));
    try std.testing.expectEqual(@as(f32, 1), rint(0.6));
}

test "pack and extract agree for every width" {
    inline for (.{ 2, 3, 4, 5, 6, 8 }) |bits| {
        var codes: [32]u8 = undefined;
        for (&codes, 0..) |*c, i| c.* = @intCast((i * 7 + 3) % (1 << bits));
        var bytes: [32]u8 = undefined;
        const out = bytes[0 .. 32 * bits / 8];
        pack(bits, &codes, out);
        for (codes, 0..) |c, i| try std.testing.expectEqual(@as(u32, c), extract(bits, out.ptr, i));
    }
}

test "4-bit codes pack as MLX's uint32 words, least significant nibble first" {
    var codes: [8]u8 = .{ 1, 2, 3, 4, 5, 6, 7, 8 };
    var bytes: [4]u8 = undefined;
    pack(4, &codes, &bytes);
    try std.testing.expectEqual(@as(u32, 0x87654321), std.mem.readInt(u32, &bytes, .little));
}

test "decodeStrided equals decode, chunked or not, for every width and group size" {
    inline for (.{ 2, 3, 4, 5, 6, 8 }) |bits| {
        for ([_]u32{ 32, 64, 128 }) |gs| {
            const k = 512;
            const format: Format = .{ .group_size = gs, .bits = bits, .mode = .affine };
            var codes: [2 * k]u8 = undefined;
            for (&codes, 0..) |*c, i| c.* = @truncate(i *% 2654435761 >> 9);
            var scales: [2 * k / 32]f16 = undefined;
            var biases: [2 * k / 32]f16 = undefined;
            for (&scales, &biases, 0..) |*sc, *b, i| {
                sc.* = @floatFromInt(i % 5 + 1);
                b.* = @as(f16, @floatFromInt(i % 3)) - 1.5;
            }
            const m: Matrix(f16) = .{ .codes = &codes, .scales = &scales, .biases = &biases,
                .format = format, .k = k };
            const ranges = [_][2]usize{ .{ 0, 128 }, .{ 128, 64 }, .{ 384, 128 }, .{ 32, 96 },
                .{ 256, 32 } };
            for (ranges) |range| {
                var want: [128]f32 = undefined;
                m.decode(1, range[0], want[0..range[1]]);
                var got: [3 * 128]f32 = @splat(-99);
                m.decodeStrided(1, range[0], range[1], &got, 3);
                for (want[0..range[1]], 0..) |w, i| try std.testing.expectEqual(w, got[3 * i]);
            }
        }
    }
}
