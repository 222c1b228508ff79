//! Random bits: the Threefry-2x32 hash (20 rounds, as in JAX and MLX) of counters under a key,
//! laid out exactly as MLX's CPU `RandomBits` does so a key gives MLX's numbers.
//!
//! Each key fills `bytes_per_key` bytes of the output with W = ceil(bytes_per_key / 4) 32-bit
//! words (little-endian; the last word is cut when the byte count is not a multiple of 4).
//! With h = floor(W / 2), the hash of the counter pair (j, j + h + W % 2) gives word j (its
//! first half) and word j + h + W % 2 (its second half) for j < h; for odd W the middle word h
//! is the first half of the hash of (h, 0). Units of work are these pairs, so a key's output
//! splits across threads, and so do many small keys.

const std = @import("std");
const assert = std.debug.assert;
const pool = @import("pool.zig");

/// Threefry rotation constants for even and odd groups of four rounds.
const rotations = [2][4]u5{ .{ 13, 15, 26, 6 }, .{ 17, 29, 16, 24 } };
/// Threefry's key-schedule parity constant.
const key_parity: u32 = 0x1BD11BDA;
/// Counter pairs hashed per SIMD step.
const lanes = 8;
/// Fewest counter pairs worth handing to another thread.
const parallel_grain_pairs = 1 << 12;

/// The Threefry-2x32 hash of counter pair (`x0`, `x1`) under key (`k0`, `k1`); `T` is `u32`
/// or a vector of them (lane-wise hashes). This scalar/vector definition is the reference.
pub fn hash(comptime T: type, k0: u32, k1: u32, x0_in: T, x1_in: T) [2]T {
    const schedule = [3]u32{ k0, k1, k0 ^ k1 ^ key_parity };
    var x0 = x0_in +% splat(T, schedule[0]);
    var x1 = x1_in +% splat(T, schedule[1]);
    inline for (0..5) |group| {
        inline for (rotations[group % 2]) |r| {
            x0 +%= x1;
            x1 = std.math.rotl(T, x1, r);
            x1 ^= x0;
        }
        x0 +%= splat(T, schedule[(group + 1) % 3]);
        x1 +%= splat(T, schedule[(group + 2) % 3] +% @as(u32, group + 1));
    }
    return .{ x0, x1 };
}

inline fn splat(comptime T: type, value: u32) T {
    return if (T == u32) value else @splat(value);
}

/// What to fill: `key_count` keys (`keys[2i]`, `keys[2i + 1]`), each writing
/// `bytes_per_key` bytes at `out + i * bytes_per_key`.
pub const Problem = struct {
    keys: []const u32,
    out: []u8,
    bytes_per_key: usize,

    fn wordsPerKey(self: *const Problem) usize {
        return std.math.divCeil(usize, self.bytes_per_key, 4) catch unreachable;
    }

    /// Work units per key: one per counter pair (plus the middle word for odd word counts).
    fn pairsPerKey(self: *const Problem) usize {
        return std.math.divCeil(usize, self.wordsPerKey(), 2) catch unreachable;
    }
};

/// Fills `problem.out`, in parallel for large outputs.
pub fn run(problem: *const Problem) void {
    const key_count = problem.keys.len / 2;
    assert(problem.keys.len == 2 * key_count);
    assert(problem.out.len == key_count * problem.bytes_per_key);
    if (problem.bytes_per_key == 0) return;
    pool.parallelFor(key_count * problem.pairsPerKey(), parallel_grain_pairs, problem, runRange);
}

fn runRange(context: *const anyopaque, start: usize, end: usize) void {
    const problem: *const Problem = @ptrCast(@alignCast(context));
    const pairs = problem.pairsPerKey();
    var unit = start;
    while (unit < end) {
        const key_index = unit / pairs;
        const first = unit - key_index * pairs;
        const last = @min(pairs, first + (end - unit));
        fillKey(problem, key_index, first, last);
        unit += last - first;
    }
}

/// Writes the words of counter pairs [first, last) of key `key_index`.
fn fillKey(problem: *const Problem, key_index: usize, first: usize, last: usize) void {
    const bytes_per_key = problem.bytes_per_key;
    const out = problem.out[key_index * bytes_per_key ..][0..bytes_per_key];
    const k0 = problem.keys[2 * key_index];
    const k1 = problem.keys[2 * key_index + 1];
    const words = problem.wordsPerKey();
    const half = words / 2;
    const odd = words % 2;
    var j = first;
    // Pairs below `half` hash a counter pair; pair `half` (odd word counts) is the middle word.
    const vector_end = @min(last, half);
    while (j + lanes <= vector_end) : (j += lanes) {
        const base: u32 = @truncate(j);
        const x0 = @as(@Vector(lanes, u32), @splat(base)) + std.simd.iota(u32, lanes);
        const x1 = x0 + @as(@Vector(lanes, u32), @splat(@as(u32, @truncate(half + odd))));
        const result = hash(@Vector(lanes, u32), k0, k1, x0, x1);
        const low: [lanes]u32 = result[0];
        const high: [lanes]u32 = result[1];
        for (0..lanes) |lane| {
            writeWord(out, j + lane, low[lane]);
            writeWord(out, j + lane + half + odd, high[lane]);
        }
    }
    while (j < last) : (j += 1) {
        if (j < half) {
            const result = hash(u32, k0, k1, @truncate(j), @truncate(j + half + odd));
            writeWord(out, j, result[0]);
            writeWord(out, j + half + odd, result[1]);
        } else {
            assert(odd == 1 and j == half);
            writeWord(out, half, hash(u32, k0, k1, @truncate(half), 0)[0]);
        }
    }
}

/// Stores word `index` little-endian, cut to the bytes that remain.
inline fn writeWord(out: []u8, index: usize, value: u32) void {
    const at = 4 * index;
    assert(at < out.len);
    if (at + 4 <= out.len) {
        std.mem.writeInt(u32, out[at..][0..4], value, .little);
    } else {
        const bytes = std.mem.toBytes(std.mem.nativeToLittle(u32, value));
        @memcpy(out[at..], bytes[0 .. out.len - at]);
    }
}

test "threefry split of key(0) gives MLX's keys" {
    var out: [16]u8 = undefined;
    const problem: Problem = .{ .keys = &.{ 0, 0 }, .out = &out, .bytes_per_key = 16 };
    run(&problem);
    const words = std.mem.bytesAsSlice(u32, &out);
    try std.testing.expectEqual(@as(u32, 4146024105), std.mem.littleToNative(u32, words[0]));
    try std.testing.expectEqual(@as(u32, 967050713), std.mem.littleToNative(u32, words[1]));
    try std.testing.expectEqual(@as(u32, 2718843009), std.mem.littleToNative(u32, words[2]));
    try std.testing.expectEqual(@as(u32, 1272950319), std.mem.littleToNative(u32, words[3]));
}

test "threefry vector and scalar paths agree, cut outputs are prefixes, keys batch" {
    const allocator = std.testing.allocator;
    // 3 keys x 4099 bytes: odd word count, a cut last word, vector body and scalar tail.
    const bytes_per_key = 4099;
    const keys = [_]u32{ 1, 2, 3, 4, 0xffffffff, 7 };
    const out = try allocator.alloc(u8, 3 * bytes_per_key);
    defer allocator.free(out);
    run(&.{ .keys = &keys, .out = out, .bytes_per_key = bytes_per_key });
    const words = (bytes_per_key + 3) / 4;
    const half = words / 2;
    for (0..3) |k| {
        const block = out[k * bytes_per_key ..][0..bytes_per_key];
        // Same as the whole-word output of the same word count, cut.
        const whole = try allocator.alloc(u8, 4 * words);
        defer allocator.free(whole);
        run(&.{ .keys = keys[2 * k ..][0..2], .out = whole, .bytes_per_key = 4 * words });
        try std.testing.expectEqualSlices(u8, whole[0..bytes_per_key], block);
        // Spot-check the layout against the scalar hash.
        const pair = hash(u32, keys[2 * k], keys[2 * k + 1], 5, 5 + half + 1);
        try std.testing.expectEqual(pair[0], std.mem.readInt(u32, whole[20..24], .little));
        const middle = hash(u32, keys[2 * k], keys[2 * k + 1], @intCast(half), 0)[0];
        const middle_word = std.mem.readInt(u32, whole[4 * half ..][0..4], .little);
        try std.testing.expectEqual(middle, middle_word);
    }
}
