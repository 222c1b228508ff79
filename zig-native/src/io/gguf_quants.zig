//! GGUF quantized tensor data to MLX arrays, block by block, threaded over blocks.
//!
//! Q4_0, Q4_1 and Q8_0 map to MLX's affine quantized layout as MLX's loader does
//! (mlx/io/gguf_quants.cpp): a packed `uint32` weight (group size 32, 4 or 8 bits, element k of
//! a group in bits 4k.. (or 8k..) little-endian), float16 scales and biases, one per group
//! (Q4_0: bias -8 scale; Q4_1: the block's stored minimum; Q8_0: the int8 values are stored
//! with the sign bit flipped, bias -128 scale). Other quantized types (Q4_K, Q5_K, Q6_K, Q8_K)
//! and BF16 are dequantized to float16 (through float32, as gguflib does).
//!
//! The caller (abi.zig) hands over the tensor's raw bytes; nothing here trusts them beyond the
//! sizes checked in `plan`: every block read is inside `data`.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const shape_mod = @import("../shape.zig");
const pool = @import("../backend/cpu/pool.zig");
const Array = @import("../array.zig").Array;
const DType = @import("../dtype.zig").DType;
const Shape = shape_mod.Shape;

/// GGML's tensor type codes for the types handled here.
pub const GgmlType = enum(u32) {
    q4_0 = 2,
    q4_1 = 3,
    q8_0 = 8,
    q4_k = 12,
    q5_k = 13,
    q6_k = 14,
    q8_k = 15,
    bf16 = 30,
    _,

    /// Elements per block.
    fn blockElements(self: GgmlType) usize {
        return switch (self) {
            .q4_0, .q4_1, .q8_0 => 32,
            .q4_k, .q5_k, .q6_k, .q8_k => 256,
            .bf16 => 1,
            _ => unreachable,
        };
    }

    /// Bytes per block in the file.
    fn blockBytes(self: GgmlType) usize {
        return switch (self) {
            .q4_0 => 18,
            .q4_1 => 20,
            .q8_0 => 34,
            .q4_k => 144,
            .q5_k => 176,
            .q6_k => 210,
            .q8_k => 292,
            .bf16 => 2,
            _ => unreachable,
        };
    }

    fn isAffine(self: GgmlType) bool {
        return self == .q4_0 or self == .q4_1 or self == .q8_0;
    }

    fn known(self: GgmlType) bool {
        return switch (self) {
            .q4_0, .q4_1, .q8_0, .q4_k, .q5_k, .q6_k, .q8_k, .bf16 => true,
            _ => false,
        };
    }
};

/// Which array to make: the affine types give three, the others one (`dequantized`).
pub const Part = enum(u32) { weight = 0, scales = 1, biases = 2, dequantized = 3, _ };

/// Weights per affine group (GGML's block of 32).
const group_size = 32;
/// Fewest blocks worth handing to another thread.
const parallel_grain_blocks = 256;

/// The array `part` of a GGUF tensor of type `type_code` and MLX shape `shape` (GGML's dims
/// reversed) whose data is `data`; an error naming the tensor's problem otherwise.
pub fn unpack(data: []const u8, type_code: u32, shape: Shape, part_code: u32) errors.Error!*Array {
    const ggml_type: GgmlType = @enumFromInt(type_code);
    const part: Part = @enumFromInt(part_code);
    if (!ggml_type.known()) {
        return errors.fail(error.Unsupported, "[load_gguf] tensor type {d} is not supported " ++
            "(Q4_0, Q4_1, Q8_0, Q4_K, Q5_K, Q6_K, Q8_K, BF16 are)", .{type_code});
    }
    const part_ok = if (ggml_type.isAffine())
        part == .weight or part == .scales or part == .biases
    else
        part == .dequantized;
    if (!part_ok) {
        return errors.fail(error.InvalidArgument, "[load_gguf] part {d} does not exist for " ++
            "tensor type {d}", .{ part_code, type_code });
    }
    if (shape.ndim == 0) {
        return errors.fail(error.InvalidArgument, "[load_gguf] a quantized tensor needs at " ++
            "least one dimension", .{});
    }
    const last: usize = @intCast(shape.dims[shape.ndim - 1]);
    const block_elements = ggml_type.blockElements();
    if (last % block_elements != 0) {
        return errors.fail(error.ShapeMismatch, "[load_gguf] tensor of shape {f} has a last " ++
            "dimension {d} that is not a multiple of the block size {d}", .{
            shape, last, block_elements,
        });
    }
    const element_count: usize = @intCast(shape.size());
    const block_count = element_count / block_elements;
    const expected_bytes = block_count * ggml_type.blockBytes();
    if (data.len != expected_bytes) {
        return errors.fail(error.ShapeMismatch, "[load_gguf] tensor of shape {f} and type {d} " ++
            "needs {d} bytes, {d} given", .{ shape, type_code, expected_bytes, data.len });
    }
    const out = try Array.createUninitialized(outDtype(part), outShape(ggml_type, shape, part));
    errdefer out.release();
    const problem: Problem = .{
        .data = data,
        .out = out.contiguousBytes(),
        .ggml_type = ggml_type,
        .part = part,
    };
    pool.parallelFor(block_count, parallel_grain_blocks, &problem, runBlocks);
    return out;
}

fn outDtype(part: Part) DType {
    return if (part == .weight) .uint32 else .float16;
}

fn outShape(ggml_type: GgmlType, shape: Shape, part: Part) Shape {
    var out = shape;
    const last = &out.dims[out.ndim - 1];
    switch (part) {
        .weight => last.* = @divExact(last.*, @as(i32, if (ggml_type == .q8_0) 4 else 8)),
        .scales, .biases => last.* = @divExact(last.*, group_size),
        else => {},
    }
    return out;
}

const Problem = struct {
    data: []const u8,
    out: []u8,
    ggml_type: GgmlType,
    part: Part,
};

fn runBlocks(context: *const anyopaque, start: usize, end: usize) void {
    const problem: *const Problem = @ptrCast(@alignCast(context));
    const block_bytes = problem.ggml_type.blockBytes();
    for (start..end) |block_index| {
        const block = problem.data[block_index * block_bytes ..][0..block_bytes];
        switch (problem.part) {
            .weight => unpackWeights(problem.ggml_type, block, problem.out, block_index),
            .scales, .biases => unpackScaleBias(problem, block, block_index),
            .dequantized => dequantize(problem.ggml_type, block, problem.out, block_index),
            _ => unreachable,
        }
    }
}

fn readF16(bytes: []const u8, offset: usize) f16 {
    return @bitCast(std.mem.readInt(u16, bytes[offset..][0..2], .little));
}

fn writeF16(out: []u8, index: usize, value: f16) void {
    std.mem.writeInt(u16, out[index * 2 ..][0..2], @bitCast(value), .little);
}

/// Q4: the 32 nibbles in natural order (the file has element k and k + 16 in one byte);
/// Q8: the bytes with the sign bit flipped (int8 to uint8 with a -128 bias).
fn unpackWeights(ggml_type: GgmlType, block: []const u8, out: []u8, block_index: usize) void {
    switch (ggml_type) {
        .q4_0, .q4_1 => {
            const quants = block[if (ggml_type == .q4_0) 2 else 4..][0..16];
            const dst = out[block_index * 16 ..][0..16];
            for (0..8) |pair| {
                dst[pair] = (quants[2 * pair] & 0x0F) | (quants[2 * pair + 1] << 4);
                dst[8 + pair] = (quants[2 * pair] >> 4) | (quants[2 * pair + 1] & 0xF0);
            }
        },
        .q8_0 => {
            const dst = out[block_index * 32 ..][0..32];
            for (dst, block[2..34]) |*d, q| d.* = q ^ 0x80;
        },
        else => unreachable,
    }
}

fn unpackScaleBias(problem: *const Problem, block: []const u8, block_index: usize) void {
    const scale = readF16(block, 0);
    const value: f16 = if (problem.part == .scales) scale else switch (problem.ggml_type) {
        .q4_0 => -8 * scale,
        .q4_1 => readF16(block, 2),
        .q8_0 => -128 * scale,
        else => unreachable,
    };
    writeF16(problem.out, block_index, value);
}

fn dequantize(ggml_type: GgmlType, block: []const u8, out: []u8, block_index: usize) void {
    var values: [256]f32 = undefined;
    const count = ggml_type.blockElements();
    switch (ggml_type) {
        .bf16 => values[0] = @bitCast(@as(u32, std.mem.readInt(u16, block[0..2], .little)) << 16),
        .q4_k => dequantizeQ4K(block[0..144], values[0..256]),
        .q5_k => dequantizeQ5K(block[0..176], values[0..256]),
        .q6_k => dequantizeQ6K(block[0..210], values[0..256]),
        .q8_k => dequantizeQ8K(block[0..292], values[0..256]),
        else => unreachable,
    }
    for (values[0..count], 0..) |value, index| {
        writeF16(out, block_index * count + index, @floatCast(value));
    }
}

/// The 6-bit scale and minimum of sub-block `j` (of 8) packed in the 12 bytes of a K block.
fn scaleMinK4(j: usize, packed_bytes: *const [12]u8) [2]u8 {
    if (j < 4) return .{ packed_bytes[j] & 63, packed_bytes[j + 4] & 63 };
    return .{
        (packed_bytes[j + 4] & 0x0F) | ((packed_bytes[j - 4] >> 6) << 4),
        (packed_bytes[j + 4] >> 4) | ((packed_bytes[j] >> 6) << 4),
    };
}

/// Q4_K: d, dmin (f16), 12 bytes of 6-bit scales/mins, 128 bytes of nibbles.
fn dequantizeQ4K(block: *const [144]u8, out: *[256]f32) void {
    const d: f32 = readF16(block, 0);
    const dmin: f32 = readF16(block, 2);
    const scales = block[4..16];
    const quants = block[16..144];
    for (0..4) |chunk| {
        const low = scaleMinK4(2 * chunk, scales);
        const high = scaleMinK4(2 * chunk + 1, scales);
        const q = quants[chunk * 32 ..][0..32];
        for (0..32) |l| {
            const y = out[chunk * 64 ..];
            y[l] = d * @as(f32, @floatFromInt(low[0])) * @as(f32, @floatFromInt(q[l] & 0xF)) -
                dmin * @as(f32, @floatFromInt(low[1]));
            y[32 + l] = d * @as(f32, @floatFromInt(high[0])) * @as(f32, @floatFromInt(q[l] >> 4)) -
                dmin * @as(f32, @floatFromInt(high[1]));
        }
    }
}

/// Q5_K: as Q4_K plus 32 bytes holding each value's fifth bit.
fn dequantizeQ5K(block: *const [176]u8, out: *[256]f32) void {
    const d: f32 = readF16(block, 0);
    const dmin: f32 = readF16(block, 2);
    const scales = block[4..16];
    const high_bits = block[16..48];
    const quants = block[48..176];
    for (0..4) |chunk| {
        const low = scaleMinK4(2 * chunk, scales);
        const high = scaleMinK4(2 * chunk + 1, scales);
        const q = quants[chunk * 32 ..][0..32];
        const bit_low: u8 = @as(u8, 1) << @intCast(2 * chunk);
        const bit_high: u8 = @as(u8, 2) << @intCast(2 * chunk);
        for (0..32) |l| {
            const y = out[chunk * 64 ..];
            const q_low: u8 = (q[l] & 0xF) + @as(u8, if (high_bits[l] & bit_low != 0) 16 else 0);
            const q_high: u8 = (q[l] >> 4) + @as(u8, if (high_bits[l] & bit_high != 0) 16 else 0);
            y[l] = d * @as(f32, @floatFromInt(low[0])) * @as(f32, @floatFromInt(q_low)) -
                dmin * @as(f32, @floatFromInt(low[1]));
            y[32 + l] = d * @as(f32, @floatFromInt(high[0])) * @as(f32, @floatFromInt(q_high)) -
                dmin * @as(f32, @floatFromInt(high[1]));
        }
    }
}

/// Q6_K: 128 bytes of low nibbles, 64 of high 2-bit pairs, 16 int8 scales, d (f16).
fn dequantizeQ6K(block: *const [210]u8, out: *[256]f32) void {
    const d: f32 = readF16(block, 208);
    for (0..2) |half| {
        const ql = block[half * 64 ..][0..64];
        const qh = block[128 + half * 32 ..][0..32];
        const sc = block[192 + half * 8 ..][0..8];
        const y = out[half * 128 ..][0..128];
        for (0..32) |l| {
            const is = l / 16;
            const q1: i32 = @as(i32, (ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
            const q2: i32 = @as(i32, (ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
            const q3: i32 = @as(i32, (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            const q4: i32 = @as(i32, (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            const scale = [4]f32{
                @floatFromInt(@as(i8, @bitCast(sc[is]))),
                @floatFromInt(@as(i8, @bitCast(sc[is + 2]))),
                @floatFromInt(@as(i8, @bitCast(sc[is + 4]))),
                @floatFromInt(@as(i8, @bitCast(sc[is + 6]))),
            };
            y[l] = d * scale[0] * @as(f32, @floatFromInt(q1));
            y[l + 32] = d * scale[1] * @as(f32, @floatFromInt(q2));
            y[l + 64] = d * scale[2] * @as(f32, @floatFromInt(q3));
            y[l + 96] = d * scale[3] * @as(f32, @floatFromInt(q4));
        }
    }
}

/// Q8_K: d (f32), 256 int8 values, 16 int16 block sums (unused here).
fn dequantizeQ8K(block: *const [292]u8, out: *[256]f32) void {
    const d: f32 = @bitCast(std.mem.readInt(u32, block[0..4], .little));
    for (out, block[4..260]) |*y, q| y.* = d * @as(f32, @floatFromInt(@as(i8, @bitCast(q))));
}

test "Q4_0 packs nibbles in natural order with bias -8 scale" {
    const t = std.testing;
    var block = [_]u8{0} ** 18;
    std.mem.writeInt(u16, block[0..2], @bitCast(@as(f16, 0.5)), .little);
    for (0..16) |j| block[2 + j] = @intCast((j & 0xF) | (((15 - j) & 0xF) << 4));
    var out = [_]u8{0} ** 16;
    unpackWeights(.q4_0, &block, &out, 0);
    // Elements 0, 1 are 0, 1; elements 16, 17 are 15, 14.
    try t.expectEqual(@as(u8, 0x10), out[0]);
    try t.expectEqual(@as(u8, 0xEF), out[8]);
    var bias = [_]u8{0} ** 2;
    const problem: Problem = .{ .data = &block, .out = &bias, .ggml_type = .q4_0, .part = .biases };
    unpackScaleBias(&problem, &block, 0);
    try t.expectEqual(@as(f16, -4), readF16(&bias, 0));
}
