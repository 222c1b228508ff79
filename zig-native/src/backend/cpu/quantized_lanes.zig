//! Packed affine codes unpacked in vector registers: how a chunk of a quantized row becomes
//! `lanes` u32 lanes, each holding `per_lane` consecutive codes, and how x is permuted so that
//! code slot j of every lane lines up with one contiguous vector of x.
//!
//! Lane i of a chunk holds codes i * per_lane + j (j < per_lane) at bit offsets
//! `first_bit[i] + j * bits`:
//! - 2, 4, 8 bits: lane i is the little-endian word i (16, 8, 4 codes);
//! - 3, 6 bits: lane i is bytes 3i .. 3i + 2 (8 or 4 codes; MLX packs 8 or 4 codes in 3 bytes);
//! - 5 bits: 8 codes in 5 bytes, split over two lanes: bytes 5u .. 5u + 2 (codes 0..3 at bits
//!   0, 5, 10, 15) and bytes 5u + 2 .. 5u + 4 (codes 4..7 at bits 4, 9, 14, 19).
//! Three-byte lanes are gathered with one two-source byte shuffle (comptime mask). The codes of
//! a lane lie in one group, since a group (32, 64 or 128 codes) is a whole number of lanes. A
//! code is masked where it sits, not shifted down: it converts to q * 2^o and x carries 2^-o.

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;

comptime {
    // Lanes are assembled by reinterpreting little-endian bytes.
    assert(builtin.cpu.arch.endian() == .little);
}

/// Whether `bits` is an affine width this file unpacks.
pub fn supports(bits: u8) bool {
    return switch (bits) {
        2, 3, 4, 5, 6, 8 => true,
        else => false,
    };
}

pub fn Lanes(comptime bits: u8, comptime lanes: comptime_int) type {
    comptime assert(supports(bits));
    comptime assert(lanes >= 2 and lanes % 2 == 0);
    return struct {
        const width: comptime_int = bits;
        /// Codes per lane.
        pub const per_lane: comptime_int = switch (bits) {
            2, 4, 8 => 32 / width,
            3 => 8,
            5, 6 => 4,
            else => unreachable,
        };
        /// Codes (and x values) of one chunk, and its packed bytes.
        pub const chunk_codes: comptime_int = lanes * per_lane;
        pub const chunk_bytes: comptime_int = chunk_codes * width / 8;
        pub const U = @Vector(lanes, u32);
        pub const V = @Vector(lanes, f32);

        const word_lanes = bits == 2 or bits == 4 or bits == 8;

        comptime {
            @setEvalBranchQuota(20_000);
            assert(chunk_codes * width % 8 == 0);
            // Every code of a lane fits the lane's 32 (word) or 24 (gathered) bits.
            for (0..lanes) |i| assert(firstBit(i) + per_lane * width <= if (word_lanes) 32 else 24);
        }

        fn firstByte(i: usize) usize {
            if (word_lanes) return 4 * i;
            if (bits == 5) return 5 * (i / 2) + 2 * (i % 2);
            return 3 * i;
        }

        fn firstBit(i: usize) u32 {
            return if (bits == 5 and i % 2 == 1) 4 else 0;
        }

        /// The chunk is read as two overlapping halves (`half` bytes at 0 and at
        /// chunk_bytes - half: no byte outside the chunk), and lane byte k of lane i is chunk
        /// byte firstByte(i) + k, picked from either by one two-source byte shuffle. The
        /// fourth byte repeats the third: `code` never reads bits 24 and up of such lanes.
        const half: comptime_int = if (chunk_bytes > 32) 32 else 16;
        const gather_mask: [4 * lanes]i32 = blk: {
            @setEvalBranchQuota(20_000);
            assert(!word_lanes);
            assert(chunk_bytes > half and chunk_bytes <= 2 * half);
            var out: [4 * lanes]i32 = undefined;
            for (0..lanes) |i| {
                for (0..4) |k| {
                    const byte = firstByte(i) + @min(k, 2);
                    out[4 * i + k] = if (byte < half)
                        @intCast(byte)
                    else
                        ~@as(i32, @intCast(byte - (chunk_bytes - half)));
                }
            }
            break :blk out;
        };

        /// The lanes of the chunk starting at `bytes` (reads exactly `chunk_bytes`).
        pub inline fn load(bytes: [*]const u8) U {
            if (word_lanes) {
                const words: *align(1) const [lanes]u32 = @ptrCast(bytes);
                return words.*;
            }
            const low: @Vector(half, u8) = bytes[0..half].*;
            const high: @Vector(half, u8) = bytes[chunk_bytes - half ..][0..half].*;
            const gathered: @Vector(4 * lanes, u8) = @shuffle(u8, low, high, gather_mask);
            return @bitCast(gathered);
        }

        /// Code slot `j` of every lane as f32, times 2^o: the code masked in place at its bit
        /// offset o (below 16; codes at bit 16 and above are read from the lane shifted down by
        /// 16, one shift per chunk) and converted, which is exact (at most 8 significant bits
        /// below bit 31). `permute` scales x by 2^-o to match, so no shift per slot is needed.
        pub inline fn code(words: U, comptime j: usize) V {
            comptime assert(j < per_lane);
            const slot = comptime slotOf(j);
            const values: @Vector(lanes, i32) = @bitCast((words >> slot.shift) & slot.mask);
            return @floatFromInt(values);
        }

        /// What x is multiplied by at slot j of lane i: 2^-o for the offset o `code` leaves.
        pub fn xScale(i: usize, j: usize) f32 {
            const bit: u32 = @intCast(firstBit(i) + j * width);
            const o = bit - shiftOf(bit);
            return std.math.ldexp(@as(f32, 1), -@as(i32, @intCast(o)));
        }

        fn shiftOf(bit: u32) u5 {
            return if (bit >= 16) 16 else 0;
        }

        const Slot = struct { shift: @Vector(lanes, u5), mask: U };

        fn slotOf(comptime j: usize) Slot {
            @setEvalBranchQuota(20_000);
            var shift_out: [lanes]u5 = undefined;
            var mask_out: [lanes]u32 = undefined;
            for (0..lanes) |i| {
                const bit: u32 = firstBit(i) + j * width;
                shift_out[i] = shiftOf(bit);
                const o = bit - shift_out[i];
                assert(o < 16 and o + width <= 31);
                mask_out[i] = ((1 << width) - 1) << o;
            }
            return .{ .shift = shift_out, .mask = mask_out };
        }

        /// One chunk of x (natural order) in the order of `code`: slot j of lane i, which is
        /// code i * per_lane + j, goes to j * lanes + i, scaled by `xScale(i, j)` (a power of
        /// two: the products x q are unchanged unless |x| < 2^-111, where x * 2^-o is subnormal).
        pub fn permute(x: []const f32, out: []f32) void {
            assert(x.len == chunk_codes);
            assert(out.len == chunk_codes);
            for (0..lanes) |i| for (0..per_lane) |j| {
                out[j * lanes + i] = x[i * per_lane + j] * xScale(i, j);
            };
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Tests

const quantized = @import("quantized.zig");

test "lanes unpack every code of a chunk in place, for every width" {
    @setEvalBranchQuota(100_000);
    inline for (.{ 2, 3, 4, 5, 6, 8 }) |bits| {
        inline for (.{ 8, 16 }) |lanes| {
            const L = Lanes(bits, lanes);
            var bytes: [L.chunk_bytes + 4]u8 = undefined;
            for (&bytes, 0..) |*b, i| b.* = @truncate(i *% 149 +% 61);
            const words = L.load(&bytes);
            inline for (0..L.per_lane) |j| {
                const values: [lanes]f32 = L.code(words, j);
                for (0..lanes) |i| {
                    const want = quantized.extract(bits, &bytes, i * L.per_lane + j);
                    const got = values[i] * L.xScale(i, j);
                    try std.testing.expectEqual(@as(f32, @floatFromInt(want)), got);
                }
            }
        }
    }
}

test "permute places x where code reads it" {
    const L = Lanes(5, 8);
    var x: [L.chunk_codes]f32 = undefined;
    for (&x, 0..) |*v, i| v.* = @floatFromInt(i);
    var out: [L.chunk_codes]f32 = undefined;
    L.permute(&x, &out);
    for (0..8) |i| for (0..L.per_lane) |j| {
        const want: f32 = @floatFromInt(i * L.per_lane + j);
        try std.testing.expectEqual(want * L.xScale(i, j), out[j * 8 + i]);
    };
}
