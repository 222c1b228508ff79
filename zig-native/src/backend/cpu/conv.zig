//! Convolution on the CPU, channels last: input [N, spatial..., C_in], weight
//! [C_out, kernel..., C_in / groups], output [N, out..., C_out].
//!
//! Each group is one matrix product: rows are output pixels (N * out...), columns the group's
//! output channels, and the depth runs over (kernel tap, input channel). float32, float16 and
//! bfloat16 run the direct kernel (conv_direct.zig: input rows read in place from a padded
//! f32 copy, weights packed once); float64 runs the loop (`runLoop`), which is also the
//! tests' reference. The weight gradient is the cotangent transposed times the patches on
//! gemm.zig's blocked driver, with a source that gathers the patches while packing.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../../errors.zig");
const memory = @import("../../memory.zig");
const dtype_mod = @import("../../dtype.zig");
const gemm = @import("gemm.zig");
const conv_direct = @import("conv_direct.zig");
const pool = @import("pool.zig");

/// Convolutions have one to three spatial dimensions.
pub const spatial_max = 3;

/// Sizes, parameters and element strides of one convolution. Strides index: 0 the batch (or
/// output channel for the weight), 1..spatial the spatial axes, spatial + 1 the channels.
pub const Geometry = struct {
    spatial: usize,
    batch: usize,
    in_size: [spatial_max]usize,
    out_size: [spatial_max]usize,
    kernel_size: [spatial_max]usize,
    stride: [spatial_max]i64,
    padding_lo: [spatial_max]i64,
    kernel_dilation: [spatial_max]i64,
    input_dilation: [spatial_max]i64,
    groups: usize,
    in_channels_per_group: usize,
    out_channels_per_group: usize,
    flip: bool,
    in_offset: i64,
    in_strides: [spatial_max + 2]i64,
    weight_offset: i64,
    weight_strides: [spatial_max + 2]i64,

    fn product(self: *const Geometry, sizes: [spatial_max]usize) usize {
        var count: usize = 1;
        for (sizes[0..self.spatial]) |size| count *= size;
        return count;
    }

    pub fn outPixels(self: *const Geometry) usize {
        return self.product(self.out_size);
    }

    pub fn kernelTaps(self: *const Geometry) usize {
        return self.product(self.kernel_size);
    }

    fn outChannels(self: *const Geometry) usize {
        return self.groups * self.out_channels_per_group;
    }

    pub fn inChannelStride(self: *const Geometry) i64 {
        return self.in_strides[self.spatial + 1];
    }

    pub fn weightChannelStride(self: *const Geometry) i64 {
        return self.weight_strides[self.spatial + 1];
    }
};

/// One kernel tap: its reach into the padded, dilated input per axis (`k * kernel_dilation`)
/// and the element offset of its weights (flipped taps when `flip`).
pub const Tap = struct {
    reach: [spatial_max]i64,
    weight_offset: i64,
};

/// An output pixel: the element offset of its batch image and its top-left corner in the
/// padded, dilated input.
const Pixel = struct {
    image_offset: i64,
    corner: [spatial_max]i64,
};

fn buildTaps(g: *const Geometry, taps: []Tap) void {
    assert(taps.len == g.kernelTaps());
    for (taps, 0..) |*tap, index| {
        var rest = index;
        tap.* = .{ .reach = @splat(0), .weight_offset = g.weight_offset };
        var axis = g.spatial;
        while (axis > 0) {
            axis -= 1;
            const size = g.kernel_size[axis];
            const k = rest % size;
            rest /= size;
            const weight_k = if (g.flip) size - 1 - k else k;
            tap.reach[axis] = @as(i64, @intCast(k)) * g.kernel_dilation[axis];
            tap.weight_offset += @as(i64, @intCast(weight_k)) * g.weight_strides[axis + 1];
        }
    }
}

/// Output pixel `row` (row-major over batch and output positions) as its image and position.
const OutPosition = struct {
    image: i64,
    position: [spatial_max]i64,
};

fn outPosition(g: *const Geometry, row: usize) OutPosition {
    const out_pixels = g.outPixels();
    var rest = row % out_pixels;
    var at: OutPosition = .{ .image = @intCast(row / out_pixels), .position = @splat(0) };
    var axis = g.spatial;
    while (axis > 0) {
        axis -= 1;
        at.position[axis] = @intCast(rest % g.out_size[axis]);
        rest /= g.out_size[axis];
    }
    return at;
}

/// Element offset of output pixel `row` (over the batch) through `strides` (image, out...,
/// channel), channel 0.
pub fn stridedPixel(g: *const Geometry, row: usize, strides: [spatial_max + 2]i64) i64 {
    const at = outPosition(g, row);
    var offset = at.image * strides[0];
    for (0..g.spatial) |axis| offset += at.position[axis] * strides[axis + 1];
    return offset;
}

fn pixelAt(g: *const Geometry, row: usize) Pixel {
    const at = outPosition(g, row);
    var pixel: Pixel = .{ .image_offset = g.in_offset + at.image * g.in_strides[0], .corner = @splat(0) };
    for (0..g.spatial) |axis| pixel.corner[axis] = at.position[axis] * g.stride[axis] - g.padding_lo[axis];
    return pixel;
}

/// The element offset of channel 0 of the input under `tap` at `pixel`, or null where the tap
/// lands in padding, in an input-dilation hole or past the input.
fn tapOffset(g: *const Geometry, pixel: *const Pixel, tap: *const Tap) ?i64 {
    var offset = pixel.image_offset;
    for (0..g.spatial) |axis| {
        const position = pixel.corner[axis] + tap.reach[axis];
        if (position < 0) return null;
        const dilation = g.input_dilation[axis];
        const index = if (dilation == 1) position else blk: {
            if (@rem(position, dilation) != 0) return null;
            break :blk @divTrunc(position, dilation);
        };
        if (index >= g.in_size[axis]) return null;
        offset += index * g.in_strides[axis + 1];
    }
    return offset;
}

/// Computes the convolution into the row-major `out`; OutOfMemory if scratch cannot be had.
pub fn run(comptime T: type, g: *const Geometry, input: [*]const T, weight: [*]const T,
    out: [*]T) errors.Error!void {
    assert(g.spatial >= 1 and g.spatial <= spatial_max);
    assert(g.groups >= 1);
    const rows = g.batch * g.outPixels();
    if (rows == 0 or g.outChannels() == 0) return;
    const tap_count = g.kernelTaps();
    const taps = memory.allocator.alloc(Tap, tap_count) catch
        return memory.outOfMemory(tap_count * @sizeOf(Tap));
    defer memory.allocator.free(taps);
    buildTaps(g, taps);
    if (T == f64) return runLoop(T, g, input, weight, taps, out);
    if (g.in_channels_per_group == 0) {
        @memset(out[0 .. rows * g.outChannels()], std.mem.zeroes(T));
        return;
    }
    return conv_direct.run(T, g, taps, input, weight, out);
}

/// The gradient of a convolution with respect to its weight: for each group, the cotangent
/// transposed times the input's patches, summed over every output pixel of the batch. `g`
/// describes the forward convolution (its weight fields are unused); `out` is the weight's
/// row-major layout.
pub fn runWeightGrad(comptime T: type, g: *const Geometry, input: [*]const T, cotangent: [*]const T,
    cotangent_offset: i64, cotangent_strides: [spatial_max + 2]i64, out: [*]T) errors.Error!void {
    assert(g.spatial >= 1 and g.spatial <= spatial_max);
    const tap_count = g.kernelTaps();
    const columns = tap_count * g.in_channels_per_group;
    const out_count = g.outChannels() * columns;
    if (out_count == 0) return;
    const pixels = g.batch * g.outPixels();
    if (pixels == 0) {
        @memset(out[0..out_count], std.mem.zeroes(T));
        return;
    }
    const taps = memory.allocator.alloc(Tap, tap_count) catch
        return memory.outOfMemory(tap_count * @sizeOf(Tap));
    defer memory.allocator.free(taps);
    buildTaps(g, taps);
    if (T == f64) return runWeightGradLoop(T, g, taps, input, cotangent, cotangent_offset, cotangent_strides, out);
    if (g.in_channels_per_group == 0 or g.out_channels_per_group == 0) {
        @memset(out[0..out_count], std.mem.zeroes(T));
        return;
    }
    return conv_direct.runWeightGrad(T, g, taps, input, cotangent, cotangent_offset,
        cotangent_strides, out);
}

/// The weight gradient's loop: every weight element sums its pixels (in f64 for float64,
/// f32 otherwise); weight elements across threads. float64's path and the tests' reference.
fn runWeightGradLoop(comptime T: type, g: *const Geometry, taps: []const Tap, input: [*]const T,
    cotangent: [*]const T, cotangent_offset: i64, cotangent_strides: [spatial_max + 2]i64,
    out: [*]T) errors.Error!void {
    const Context = struct {
        geometry: *const Geometry,
        taps: []const Tap,
        input: [*]const T,
        cotangent: [*]const T,
        cotangent_offset: i64,
        cotangent_strides: [spatial_max + 2]i64,
        out: [*]T,

        fn range(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const @This() = @ptrCast(@alignCast(context));
            const geo = self.geometry;
            const channels = geo.in_channels_per_group;
            const columns = self.taps.len * channels;
            const last_tap = self.taps.len - 1;
            const in_cs = geo.inChannelStride();
            for (start..end) |index| {
                const oc = index / columns;
                const weight_tap = (index % columns) / channels;
                const c = index % channels;
                const group = oc / geo.out_channels_per_group;
                // The weight's tap w meets input tap w, or its mirror image when flipped.
                const tap = &self.taps[if (geo.flip) last_tap - weight_tap else weight_tap];
                const channel: i64 = @intCast(group * channels + c);
                var sum: Wide(T) = 0;
                for (0..geo.batch * geo.outPixels()) |row| {
                    const pixel = pixelAt(geo, row);
                    const offset = tapOffset(geo, &pixel, tap) orelse continue;
                    const cot_index = self.cotangent_offset + stridedPixel(geo, row, self.cotangent_strides) +
                        @as(i64, @intCast(oc)) * self.cotangent_strides[geo.spatial + 1];
                    sum += widen(T, self.input[@intCast(offset + channel * in_cs)]) *
                        widen(T, self.cotangent[@intCast(cot_index)]);
                }
                self.out[index] = narrow(T, sum);
            }
        }
    };
    const context: Context = .{ .geometry = g, .taps = taps, .input = input, .cotangent = cotangent,
        .cotangent_offset = cotangent_offset, .cotangent_strides = cotangent_strides, .out = out };
    const count = g.outChannels() * taps.len * g.in_channels_per_group;
    pool.parallelFor(count, @max(1, (1 << 15) / @max(1, g.batch * g.outPixels())), &context, Context.range);
}

/// The loop: every output element sums its taps and channels (in f64 for float64, f32
/// otherwise); output pixels across threads.
fn runLoop(comptime T: type, g: *const Geometry, input: [*]const T, weight: [*]const T,
    taps: []const Tap, out: [*]T) void {
    const Context = struct {
        geometry: *const Geometry,
        input: [*]const T,
        weight: [*]const T,
        taps: []const Tap,
        out: [*]T,

        fn range(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const @This() = @ptrCast(@alignCast(context));
            const geo = self.geometry;
            const out_channels = geo.outChannels();
            const in_cs = geo.inChannelStride();
            const weight_cs = geo.weightChannelStride();
            for (start..end) |row| {
                const pixel = pixelAt(geo, row);
                for (0..out_channels) |oc| {
                    const group = oc / geo.out_channels_per_group;
                    const first: i64 = @intCast(group * geo.in_channels_per_group);
                    const oc_offset = @as(i64, @intCast(oc)) * geo.weight_strides[0];
                    var sum: Wide(T) = 0;
                    for (self.taps) |*tap| {
                        const offset = tapOffset(geo, &pixel, tap) orelse continue;
                        for (0..geo.in_channels_per_group) |c| {
                            const ci: i64 = @intCast(c);
                            const x = self.input[@intCast(offset + (first + ci) * in_cs)];
                            const w = self.weight[@intCast(tap.weight_offset + oc_offset +
                                ci * weight_cs)];
                            sum += widen(T, x) * widen(T, w);
                        }
                    }
                    self.out[row * out_channels + oc] = narrow(T, sum);
                }
            }
        }
    };
    const context: Context = .{ .geometry = g, .input = input, .weight = weight, .taps = taps,
        .out = out };
    const work_per_row = @max(1, g.outChannels() * taps.len * g.in_channels_per_group);
    const grain = @max(1, (1 << 15) / work_per_row);
    pool.parallelFor(g.batch * g.outPixels(), grain, &context, Context.range);
}

/// The accumulator of the loops: f64 for float64, f32 otherwise.
fn Wide(comptime T: type) type {
    return if (T == f64) f64 else f32;
}

fn widen(comptime T: type, value: T) Wide(T) {
    return if (T == f64) value else gemm.toF32(T, value);
}

fn narrow(comptime T: type, value: Wide(T)) T {
    return if (T == f64) value else gemm.fromF32(T, value);
}

// ---------------------------------------------------------------------------------------------
// Tests: the direct kernel against the loop.

fn testGeometry(spatial: usize, batch: usize, in_size: [3]usize, kernel_size: [3]usize,
    groups: usize, cg: usize, og: usize) Geometry {
    var g: Geometry = .{
        .spatial = spatial, .batch = batch, .in_size = in_size, .out_size = @splat(1),
        .kernel_size = kernel_size, .stride = @splat(1), .padding_lo = @splat(0),
        .kernel_dilation = @splat(1), .input_dilation = @splat(1), .groups = groups,
        .in_channels_per_group = cg, .out_channels_per_group = og, .flip = false,
        .in_offset = 0, .in_strides = undefined, .weight_offset = 0, .weight_strides = undefined,
    };
    var stride: i64 = @intCast(groups * cg);
    g.in_strides[spatial + 1] = 1;
    var weight_stride: i64 = @intCast(cg);
    g.weight_strides[spatial + 1] = 1;
    var axis = spatial;
    while (axis > 0) : (axis -= 1) {
        g.in_strides[axis] = stride;
        stride *= @intCast(in_size[axis - 1]);
        g.weight_strides[axis] = weight_stride;
        weight_stride *= @intCast(kernel_size[axis - 1]);
    }
    g.in_strides[0] = stride;
    g.weight_strides[0] = weight_stride;
    return g;
}

/// Sets the output size from the parameters (MLX's formula, padding_hi = padding_lo).
fn fitOutput(g: *Geometry) void {
    for (0..g.spatial) |axis| {
        const in_extent = 1 + g.input_dilation[axis] * (@as(i64, @intCast(g.in_size[axis])) - 1);
        const kernel_extent = 1 + g.kernel_dilation[axis] *
            (@as(i64, @intCast(g.kernel_size[axis])) - 1);
        const span = in_extent + 2 * g.padding_lo[axis] - kernel_extent;
        g.out_size[axis] = @intCast(@divTrunc(span, g.stride[axis]) + 1);
    }
}

fn checkAgainstLoop(comptime T: type, g: *const Geometry) !void {
    const gpa = std.testing.allocator;
    const in_count: usize = @intCast(g.in_strides[0] * @as(i64, @intCast(g.batch)));
    const weight_count: usize = @intCast(g.weight_strides[0] *
        @as(i64, @intCast(g.groups * g.out_channels_per_group)));
    const out_count = g.batch * g.outPixels() * g.outChannels();
    const input = try gpa.alloc(T, in_count);
    defer gpa.free(input);
    const input_wide = try gpa.alloc(f64, in_count);
    defer gpa.free(input_wide);
    const weight = try gpa.alloc(T, weight_count);
    defer gpa.free(weight);
    const weight_wide = try gpa.alloc(f64, weight_count);
    defer gpa.free(weight_wide);
    for (input, input_wide, 0..) |*x, *w, i| {
        x.* = gemm.fromF32(T, @as(f32, @floatFromInt((i * 7 + 3) % 17)) / 8 - 1);
        w.* = gemm.toF32(T, x.*);
    }
    for (weight, weight_wide, 0..) |*x, *w, i| {
        x.* = gemm.fromF32(T, @as(f32, @floatFromInt((i * 5 + 1) % 13)) / 6 - 1);
        w.* = gemm.toF32(T, x.*);
    }
    const got = try gpa.alloc(T, out_count);
    defer gpa.free(got);
    const want = try gpa.alloc(f64, out_count);
    defer gpa.free(want);
    try run(T, g, input.ptr, weight.ptr, got.ptr);
    try run(f64, g, input_wide.ptr, weight_wide.ptr, want.ptr);
    const tolerance: f64 = if (T == f32) 1e-5 else 1e-2;
    const depth: f64 = @floatFromInt(g.kernelTaps() * g.in_channels_per_group);
    for (got, want) |x, expected| {
        const error_bound = tolerance * @max(1, @sqrt(depth)) * @max(1, @abs(expected));
        try std.testing.expect(@abs(gemm.toF32(T, x) - expected) <= error_bound);
    }
}

/// The weight gradient of `T` (direct kernel) against float64's loop, for a row-major
/// cotangent [N, out..., C_out].
fn checkWeightGradAgainstLoop(comptime T: type, g: *const Geometry) !void {
    const gpa = std.testing.allocator;
    const in_count: usize = @intCast(g.in_strides[0] * @as(i64, @intCast(g.batch)));
    const pixels = g.batch * g.outPixels();
    const cot_count = pixels * g.outChannels();
    const out_count = g.outChannels() * g.kernelTaps() * g.in_channels_per_group;
    const input = try gpa.alloc(T, in_count);
    defer gpa.free(input);
    const input_wide = try gpa.alloc(f64, in_count);
    defer gpa.free(input_wide);
    const cot = try gpa.alloc(T, cot_count);
    defer gpa.free(cot);
    const cot_wide = try gpa.alloc(f64, cot_count);
    defer gpa.free(cot_wide);
    for (input, input_wide, 0..) |*x, *w, i| {
        x.* = gemm.fromF32(T, @as(f32, @floatFromInt((i * 7 + 3) % 17)) / 8 - 1);
        w.* = gemm.toF32(T, x.*);
    }
    for (cot, cot_wide, 0..) |*x, *w, i| {
        x.* = gemm.fromF32(T, @as(f32, @floatFromInt((i * 5 + 1) % 13)) / 6 - 1);
        w.* = gemm.toF32(T, x.*);
    }
    var strides: [spatial_max + 2]i64 = undefined;
    strides[g.spatial + 1] = 1;
    var stride: i64 = @intCast(g.outChannels());
    var axis = g.spatial;
    while (axis > 0) : (axis -= 1) {
        strides[axis] = stride;
        stride *= @intCast(g.out_size[axis - 1]);
    }
    strides[0] = stride;
    const got = try gpa.alloc(T, out_count);
    defer gpa.free(got);
    const want = try gpa.alloc(f64, out_count);
    defer gpa.free(want);
    try runWeightGrad(T, g, input.ptr, cot.ptr, 0, strides, got.ptr);
    try runWeightGrad(f64, g, input_wide.ptr, cot_wide.ptr, 0, strides, want.ptr);
    const tolerance: f64 = if (T == f32) 1e-5 else 1e-2;
    const depth: f64 = @floatFromInt(pixels);
    for (got, want) |x, expected| {
        const value: f64 = gemm.toF32(T, x);
        try std.testing.expect(@abs(value - expected) <= tolerance * @sqrt(depth) * @max(1, @abs(expected)));
    }
}

/// Both directions of `T` against the loops.
fn checkBoth(comptime T: type, g: *const Geometry) !void {
    try checkAgainstLoop(T, g);
    try checkWeightGradAgainstLoop(T, g);
}

test "the direct convolution kernels (forward, weight gradient) match the loops across parameters and dtypes" {
    var g = testGeometry(2, 2, .{ 9, 7, 1 }, .{ 3, 2, 1 }, 1, 5, 37);
    g.stride = .{ 2, 1, 1 };
    g.padding_lo = .{ 1, 2, 0 };
    fitOutput(&g);
    inline for (.{ f32, f16, dtype_mod.BFloat16 }) |T| try checkBoth(T, &g);

    g = testGeometry(2, 1, .{ 6, 5, 1 }, .{ 3, 3, 1 }, 3, 2, 4);
    g.kernel_dilation = .{ 2, 1, 1 };
    g.input_dilation = .{ 1, 3, 1 };
    g.padding_lo = .{ 2, 1, 0 };
    g.flip = true;
    fitOutput(&g);
    try checkBoth(f32, &g);

    // No padding: float32 reads the input in place (strided pixels, two groups, more
    // pixels than one work unit); float16 still pads (converts) it.
    g = testGeometry(2, 2, .{ 31, 29, 1 }, .{ 3, 3, 1 }, 2, 17, 33);
    g.stride = .{ 2, 1, 1 };
    fitOutput(&g);
    try checkBoth(f32, &g);
    try checkBoth(f16, &g);

    g = testGeometry(1, 3, .{ 40, 1, 1 }, .{ 1, 1, 1 }, 1, 130, 70);
    fitOutput(&g);
    try checkBoth(f32, &g);

    g = testGeometry(3, 1, .{ 4, 3, 5 }, .{ 2, 2, 3 }, 1, 3, 2);
    g.padding_lo = .{ 1, 0, 1 };
    g.stride = .{ 1, 2, 2 };
    g.flip = true;
    fitOutput(&g);
    try checkBoth(f32, &g);

    // Output channels in whole panels: float32 reads the cotangent in place; more pixels
    // than one block of the weight gradient.
    g = testGeometry(2, 3, .{ 12, 11, 1 }, .{ 3, 3, 1 }, 1, 3, 64);
    g.padding_lo = .{ 1, 1, 0 };
    fitOutput(&g);
    try checkBoth(f32, &g);
    try checkBoth(dtype_mod.BFloat16, &g);
}
