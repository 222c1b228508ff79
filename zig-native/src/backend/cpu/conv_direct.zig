//! Direct convolution (float32, float16, bfloat16; channels last): the micro-kernel reads its
//! output pixels' input rows in place, with no packed A. Each output tile is mr pixels by
//! nr output channels; pixel r's patch is a base pointer into a zero-padded f32 image plus
//! one offset per kernel tap, so along the depth (tap, input channel) the kernel broadcasts
//! consecutive channels of each pixel and multiplies them by one row of the packed weights.
//!
//! The padded image holds every input position the taps reach, zero in the padding and in
//! input-dilation holes, converted to f32; a float32 input that needs no padding is read
//! through its own strides instead. Images are padded a chunk at a time (at most
//! `chunk_bytes_max`), so scratch stays bounded whatever the batch. Weights are packed once
//! per call into nr-wide panels (tap, channel, nr) per group, zero past the group's channels.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../../errors.zig");
const memory = @import("../../memory.zig");
const conv = @import("conv.zig");
const gemm = @import("gemm.zig");
const pool = @import("pool.zig");
const simd = @import("simd.zig");

const mr = gemm.mr;
const nr = gemm.nr;
const row_vectors = gemm.row_vectors;
const lanes = nr / row_vectors;
const V = @Vector(lanes, f32);

/// Bytes of padded images per chunk.
const chunk_bytes_max = 64 << 20;
/// Pixel tiles per work unit (a unit sweeps its tiles once per weight panel, so its input
/// rows stay in L2 across the panels).
const tiles_per_unit = 16;

/// Where the kernel reads the input: a base and element strides (image, spatial axes; the
/// channels are contiguous).
const Layout = struct {
    base: [*]const f32,
    image_stride: i64,
    strides: [conv.spatial_max]i64,
};

/// Whether a float32 input can be read in place: no padding, no input dilation, no
/// position past the input, contiguous channels, no negative stride.
fn readsInPlace(g: *const conv.Geometry) bool {
    if (g.inChannelStride() != 1 or g.in_strides[0] < 0) return false;
    for (0..g.spatial) |axis| {
        if (g.in_strides[axis + 1] < 0) return false;
        if (g.padding_lo[axis] != 0 or g.input_dilation[axis] != 1) return false;
        if (extent(g, axis) > g.in_size[axis]) return false;
    }
    return true;
}

/// Input positions the taps reach along `axis`, from -padding_lo on.
fn extent(g: *const conv.Geometry, axis: usize) usize {
    const out_reach = (@as(i64, @intCast(g.out_size[axis])) - 1) * g.stride[axis];
    const kernel_reach = (@as(i64, @intCast(g.kernel_size[axis])) - 1) * g.kernel_dilation[axis];
    return @intCast(out_reach + kernel_reach + 1);
}

/// Computes the convolution into the row-major `out`; OutOfMemory if scratch cannot be had.
pub fn run(comptime T: type, g: *const conv.Geometry, taps: []const conv.Tap, input: [*]const T,
    weight: [*]const T, out: [*]T) errors.Error!void {
    assert(g.spatial >= 1 and g.spatial <= conv.spatial_max);
    assert(g.in_channels_per_group > 0 and g.out_channels_per_group > 0 and g.batch > 0);
    const channels = g.in_channels_per_group;
    const panels = std.math.divCeil(usize, g.out_channels_per_group, nr) catch unreachable;
    const depth = taps.len * channels;
    const packed_len = g.groups * panels * depth * nr;
    const packed_weights = memory.allocator.alignedAlloc(f32, .@"64", packed_len) catch
        return memory.outOfMemory(packed_len * @sizeOf(f32));
    defer memory.allocator.free(packed_weights);
    packWeights(T, g, taps, weight, packed_weights);

    const tap_offsets = memory.allocator.alloc(i64, taps.len) catch
        return memory.outOfMemory(taps.len * @sizeOf(i64));
    defer memory.allocator.free(tap_offsets);

    const source = try Input.prepare(T, g, input);
    defer source.deinit();
    setTapOffsets(g, taps, &source.layout, tap_offsets);
    var image0: usize = 0;
    while (image0 < g.batch) : (image0 += source.chunk_images) {
        const images = @min(source.chunk_images, g.batch - image0);
        source.fill(T, g, input, image0, images);
        sweepImages(T, g, &source.layout, tap_offsets, packed_weights, image0, images, out);
    }
}

/// The input as the kernels read it: in place (a float32 input needing no padding: one
/// chunk, the whole batch), or padded f32 images [image, extent..., C], `chunk_images` at a
/// time in `padded`.
const Input = struct {
    layout: Layout,
    chunk_images: usize,
    padded: []f32,

    fn prepare(comptime T: type, g: *const conv.Geometry, input: [*]const T) errors.Error!Input {
        if (T == f32 and readsInPlace(g)) {
            var layout: Layout = .{ .base = input + @as(usize, @intCast(g.in_offset)),
                .image_stride = g.in_strides[0], .strides = @splat(0) };
            for (0..g.spatial) |axis| layout.strides[axis] = g.in_strides[axis + 1];
            return .{ .layout = layout, .chunk_images = g.batch, .padded = &.{} };
        }
        var layout: Layout = .{ .base = undefined, .image_stride = 0, .strides = @splat(0) };
        var elements: usize = g.groups * g.in_channels_per_group;
        var axis = g.spatial;
        while (axis > 0) {
            axis -= 1;
            layout.strides[axis] = @intCast(elements);
            elements *= extent(g, axis);
        }
        layout.image_stride = @intCast(elements);
        const image_bytes = elements * @sizeOf(f32);
        const chunk_images = std.math.clamp(chunk_bytes_max / @max(1, image_bytes), 1, g.batch);
        const padded = memory.allocator.alignedAlloc(f32, .@"64", chunk_images * elements) catch
            return memory.outOfMemory(chunk_images * image_bytes);
        layout.base = padded.ptr;
        return .{ .layout = layout, .chunk_images = chunk_images, .padded = padded };
    }

    fn deinit(self: *const Input) void {
        if (self.padded.len > 0) memory.allocator.free(self.padded);
    }

    /// Pads images image0.. into the chunk (nothing to do in place).
    fn fill(self: *const Input, comptime T: type, g: *const conv.Geometry, input: [*]const T,
        image0: usize, images: usize) void {
        if (self.padded.len > 0) pad(T, g, input, image0, images, &self.layout, self.padded);
    }
};

/// Element offset of each tap's reach in `layout`.
fn setTapOffsets(g: *const conv.Geometry, taps: []const conv.Tap, layout: *const Layout,
    tap_offsets: []i64) void {
    for (taps, tap_offsets) |*tap, *offset| {
        offset.* = 0;
        for (0..g.spatial) |axis| offset.* += tap.reach[axis] * layout.strides[axis];
    }
}

/// Weight panels per group: panel q holds, for each (tap, input channel), the nr output
/// channels q*nr.. of the group (zero past them).
fn packWeights(comptime T: type, g: *const conv.Geometry, taps: []const conv.Tap,
    weight: [*]const T, out: []f32) void {
    const channels = g.in_channels_per_group;
    const og = g.out_channels_per_group;
    const panels = std.math.divCeil(usize, og, nr) catch unreachable;
    const out_channel_stride = g.weight_strides[0];
    const channel_stride = g.weightChannelStride();
    var index: usize = 0;
    for (0..g.groups) |group| {
        for (0..panels) |panel| {
            const first = panel * nr;
            const width = @min(nr, og - first);
            const column_offset = @as(i64, @intCast(group * og + first)) * out_channel_stride;
            for (taps) |*tap| {
                for (0..channels) |c| {
                    const line = out[index..][0..nr];
                    var source = tap.weight_offset + column_offset +
                        @as(i64, @intCast(c)) * channel_stride;
                    for (line[0..width]) |*value| {
                        value.* = gemm.toF32(T, weight[@intCast(source)]);
                        source += out_channel_stride;
                    }
                    @memset(line[width..], 0);
                    index += nr;
                }
            }
        }
    }
    assert(index == out.len);
}

/// Fills `padded` with images image0.. of the input (f32, zero where no input lands).
fn pad(comptime T: type, g: *const conv.Geometry, input: [*]const T, image0: usize,
    images: usize, layout: *const Layout, padded: []f32) void {
    const Context = struct {
        g: *const conv.Geometry,
        input: [*]const T,
        image0: usize,
        layout: *const Layout,
        padded: []f32,

        /// Units are runs of channels: one per (image, padded position).
        fn range(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const @This() = @ptrCast(@alignCast(context));
            const geo = self.g;
            const in_channels = geo.groups * geo.in_channels_per_group;
            const channel_stride = geo.inChannelStride();
            const positions: usize = @intCast(@divExact(self.layout.image_stride, @as(i64, @intCast(in_channels))));
            for (start..end) |unit| {
                const line = self.padded[unit * in_channels ..][0..in_channels];
                var rest = unit % positions;
                var source: i64 = geo.in_offset + @as(i64, @intCast(self.image0 + unit / positions)) * geo.in_strides[0];
                var inside = true;
                var axis = geo.spatial;
                while (axis > 0) {
                    axis -= 1;
                    const size = extent(geo, axis);
                    const position = @as(i64, @intCast(rest % size)) - geo.padding_lo[axis];
                    rest /= size;
                    const dilation = geo.input_dilation[axis];
                    if (position < 0 or @rem(position, dilation) != 0) {
                        inside = false;
                        break;
                    }
                    const index = @divTrunc(position, dilation);
                    if (index >= geo.in_size[axis]) {
                        inside = false;
                        break;
                    }
                    source += index * geo.in_strides[axis + 1];
                }
                if (!inside) {
                    @memset(line, 0);
                    continue;
                }
                if (channel_stride == 1) {
                    const from = self.input + @as(usize, @intCast(source));
                    var c: usize = 0;
                    while (c + lanes <= in_channels) : (c += lanes) {
                        line[c..][0..lanes].* = simd.loadF32(T, lanes, from + c);
                    }
                    while (c < in_channels) : (c += 1) line[c] = gemm.toF32(T, from[c]);
                } else {
                    for (line, 0..) |*value, c| {
                        value.* = gemm.toF32(T, self.input[@intCast(source + @as(i64, @intCast(c)) * channel_stride)]);
                    }
                }
            }
        }
    };
    const in_channels = g.groups * g.in_channels_per_group;
    const units: usize = images * @as(usize, @intCast(@divExact(layout.image_stride, @as(i64, @intCast(in_channels)))));
    assert(units * in_channels <= padded.len);
    const context: Context = .{ .g = g, .input = input, .image0 = image0, .layout = layout, .padded = padded };
    pool.parallelFor(units, @max(1, 4096 / in_channels), &context, Context.range);
}

/// The output rows of images image0..image0 + images, every group: units of
/// `tiles_per_unit` pixel tiles of one group, each swept against every weight panel.
fn sweepImages(comptime T: type, g: *const conv.Geometry, layout: *const Layout,
    tap_offsets: []const i64, packed_weights: []const f32, image0: usize, images: usize,
    out: [*]T) void {
    const Context = struct {
        g: *const conv.Geometry,
        layout: *const Layout,
        tap_offsets: []const i64,
        packed_weights: []const f32,
        image0: usize,
        rows: usize,
        units_per_group: usize,
        out: [*]T,

        fn range(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const @This() = @ptrCast(@alignCast(context));
            for (start..end) |unit| self.sweepUnit(unit / self.units_per_group, unit % self.units_per_group);
        }

        fn sweepUnit(self: *const @This(), group: usize, unit: usize) void {
            const geo = self.g;
            const channels = geo.in_channels_per_group;
            const og = geo.out_channels_per_group;
            const panels = std.math.divCeil(usize, og, nr) catch unreachable;
            const depth = self.tap_offsets.len * channels;
            const out_channels = geo.groups * og;
            const row_first = unit * tiles_per_unit * mr;
            const row_end = @min(self.rows, row_first + tiles_per_unit * mr);
            assert(row_first < row_end);
            const group_channel: usize = group * channels;
            // Each pixel's patch base, computed once for every panel; rows past the end
            // repeat the last pixel (computed, not stored).
            var bases: [tiles_per_unit * mr][*]const f32 = undefined;
            const unit_rows = row_end - row_first;
            for (&bases, 0..) |*base, i| {
                const row = row_first + @min(i, unit_rows - 1);
                base.* = self.layout.base + @as(usize, @intCast(patchOffset(geo, self.layout, row))) + group_channel;
            }
            for (0..panels) |panel| {
                const weights = self.packed_weights[(group * panels + panel) * depth * nr ..][0 .. depth * nr];
                const column0 = panel * nr;
                const columns = @min(nr, og - column0);
                var row0 = row_first;
                while (row0 < row_end) : (row0 += mr) {
                    const rows = @min(mr, row_end - row0);
                    const target = self.out + (self.image0 * geo.outPixels() + row0) * out_channels +
                        group * og + column0;
                    tile(T, bases[row0 - row_first ..][0..mr], self.tap_offsets, channels,
                        weights.ptr, target, out_channels, rows, columns);
                }
            }
        }
    };
    const rows = images * g.outPixels();
    const units_per_group = std.math.divCeil(usize, rows, tiles_per_unit * mr) catch unreachable;
    const context: Context = .{ .g = g, .layout = layout, .tap_offsets = tap_offsets,
        .packed_weights = packed_weights, .image0 = image0, .rows = rows,
        .units_per_group = units_per_group, .out = out };
    pool.parallelFor(g.groups * units_per_group, 1, &context, Context.range);
}

/// out[0..rows, 0..columns] = the patches of `pointers` @ one weight panel: for each tap,
/// `channels` consecutive values read at pointers[r] + the tap's offset.
fn tile(comptime T: type, pointers: *const [mr][*]const f32, tap_offsets: []const i64,
    channels: usize, weights: [*]const f32, out: [*]T, ldc: usize, rows: usize,
    columns: usize) void {
    var acc: [mr][row_vectors]V = @splat(@splat(@splat(0)));
    var b = weights;
    for (tap_offsets) |tap_offset| {
        assert(tap_offset >= 0);
        var q: [mr][*]const f32 = undefined;
        inline for (0..mr) |r| q[r] = pointers[r] + @as(usize, @intCast(tap_offset));
        for (0..channels) |c| {
            var bv: [row_vectors]V = undefined;
            inline for (0..row_vectors) |v| bv[v] = b[v * lanes ..][0..lanes].*;
            b += nr;
            inline for (0..mr) |r| {
                const av: V = @splat(q[r][c]);
                inline for (0..row_vectors) |v| acc[r][v] = simd.mulAdd(V, av, bv[v], acc[r][v]);
            }
        }
    }
    if (T == f32) {
        gemm.storeTile(f32, &acc, out, ldc, rows, columns, false);
        return;
    }
    var block: [mr][nr]f32 = undefined;
    gemm.storeTile(f32, &acc, @ptrCast(&block), nr, mr, nr, false);
    for (0..rows) |r| gemm.storeRow(T, out + r * ldc, block[r][0..columns]);
}

// ---------------------------------------------------------------------------------------------
// The weight gradient: dW[o][w][c] = sum over output pixels p of cot[p][o] * x[p + tap w][c].
// As a product its rows are the weight's columns j = (tap w, channel c) of a group, its lanes
// the group's output channels, its depth the pixels: a tile of mr columns by nr output
// channels broadcasts, per pixel, mr input values (one offset per column from the pixel's
// patch base) and multiplies them by nr contiguous cotangent values. Pixels are cut into
// blocks of `grad_block_pixels` (the block's patches and cotangent rows stay in L2) and the
// blocks into `grad_slots_per_thread * threads` slots, each summing into its own f32 copy of
// the gradient; the slots are added in order at the end, so the result does not depend on
// which thread ran what.

/// Pixels per block of the weight gradient.
const grad_block_pixels = 256;
/// Partial sums per thread (more slots balance threads better and cost a gradient each).
const grad_slots_per_thread = 2;

/// Where the kernel reads the cotangent: row p (an output pixel of the chunk) starts at
/// `base + offsets(p)`, output channels contiguous, group g's at `g * group_stride`, each
/// group's row readable for a whole number of panels.
const CotangentLayout = struct {
    base: [*]const f32,
    /// In place: the cotangent's own strides; else a copy [pixel, groups, panels * nr].
    in_place: bool,
    offset: i64,
    strides: [conv.spatial_max + 2]i64,
    group_stride: usize,
};

/// Computes the weight gradient into `out` (the weight's row-major layout); `g` describes
/// the forward convolution. OutOfMemory if scratch cannot be had.
pub fn runWeightGrad(comptime T: type, g: *const conv.Geometry, taps: []const conv.Tap,
    input: [*]const T, cotangent: [*]const T, cotangent_offset: i64,
    cotangent_strides: [conv.spatial_max + 2]i64, out: [*]T) errors.Error!void {
    assert(g.in_channels_per_group > 0 and g.out_channels_per_group > 0 and g.batch > 0);
    const channels = g.in_channels_per_group;
    const og = g.out_channels_per_group;
    const columns = taps.len * channels;
    const column_tiles = std.math.divCeil(usize, columns, mr) catch unreachable;
    const panels = std.math.divCeil(usize, og, nr) catch unreachable;
    const slot_len = g.groups * column_tiles * mr * panels * nr;
    const slots = grad_slots_per_thread * pool.threadCount();
    const sums = memory.allocator.alignedAlloc(f32, .@"64", slots * slot_len) catch
        return memory.outOfMemory(slots * slot_len * @sizeOf(f32));
    defer memory.allocator.free(sums);
    @memset(sums, 0);

    // Per column j of a group: its input tap's offset (set per layout) plus its channel.
    const column_offsets = memory.allocator.alloc(i64, column_tiles * mr) catch
        return memory.outOfMemory(column_tiles * mr * @sizeOf(i64));
    defer memory.allocator.free(column_offsets);
    const tap_offsets = memory.allocator.alloc(i64, taps.len) catch
        return memory.outOfMemory(taps.len * @sizeOf(i64));
    defer memory.allocator.free(tap_offsets);

    const out_pixels = g.outPixels();
    const cot_in_place = T == f32 and cotangent_strides[g.spatial + 1] == 1 and og % nr == 0 and
        for (cotangent_strides[0 .. g.spatial + 1]) |stride| {
            if (stride < 0) break false;
        } else true;
    const source = try Input.prepare(T, g, input);
    defer source.deinit();
    const chunk_images = source.chunk_images;
    setTapOffsets(g, taps, &source.layout, tap_offsets);
    const last_tap = taps.len - 1;
    for (column_offsets, 0..) |*offset, j| {
        // Columns past the last repeat it (computed, not stored). The weight's tap w meets
        // input tap w, or its mirror image when flipped.
        const column = @min(j, columns - 1);
        const weight_tap = column / channels;
        const tap = if (g.flip) last_tap - weight_tap else weight_tap;
        offset.* = tap_offsets[tap] + @as(i64, @intCast(column % channels));
    }

    var cot_layout: CotangentLayout = .{ .base = undefined, .in_place = cot_in_place,
        .offset = cotangent_offset, .strides = cotangent_strides, .group_stride = og };
    var cot_copy: []f32 = &.{};
    defer if (cot_copy.len > 0) memory.allocator.free(cot_copy);
    if (T == f32 and cot_in_place) {
        cot_layout.base = cotangent;
    } else {
        cot_layout.group_stride = panels * nr;
        const row_len = g.groups * cot_layout.group_stride;
        cot_copy = memory.allocator.alignedAlloc(f32, .@"64", chunk_images * out_pixels * row_len) catch
            return memory.outOfMemory(chunk_images * out_pixels * row_len * @sizeOf(f32));
        cot_layout.base = cot_copy.ptr;
    }

    var image0: usize = 0;
    while (image0 < g.batch) : (image0 += chunk_images) {
        const images = @min(chunk_images, g.batch - image0);
        source.fill(T, g, input, image0, images);
        if (!cot_in_place) copyCotangent(T, g, cotangent, cotangent_offset, cotangent_strides,
            image0, images, &cot_layout, cot_copy);
        sumWeightGrad(g, &source.layout, &cot_layout, column_offsets, image0, images,
            sums, slots, slot_len);
    }

    // out[group * og + o][j] = the slots' sums at [group][j][o], added in slot order.
    const out_channels_stride = columns;
    for (0..g.groups) |group| {
        for (0..og) |o| {
            for (0..columns) |j| {
                const index = (group * column_tiles * mr + j) * panels * nr + o;
                var sum: f32 = 0;
                for (0..slots) |slot| sum += sums[slot * slot_len + index];
                out[(group * og + o) * out_channels_stride + j] = gemm.fromF32(T, sum);
            }
        }
    }
}

/// Copies the cotangent rows of images image0.. into `copy` ([pixel, group, panels * nr],
/// f32, zero past each group's channels).
fn copyCotangent(comptime T: type, g: *const conv.Geometry, cotangent: [*]const T,
    offset: i64, strides: [conv.spatial_max + 2]i64, image0: usize, images: usize,
    layout: *const CotangentLayout, copy: []f32) void {
    const og = g.out_channels_per_group;
    const row_len = g.groups * layout.group_stride;
    const out_pixels = g.outPixels();
    for (0..images * out_pixels) |p| {
        const source = offset + conv.stridedPixel(g, image0 * out_pixels + p, strides);
        const row = copy[p * row_len ..][0..row_len];
        @memset(row, 0);
        for (0..g.groups) |group| {
            for (0..og) |o| {
                const channel: i64 = @intCast(group * og + o);
                row[group * layout.group_stride + o] =
                    gemm.toF32(T, cotangent[@intCast(source + channel * strides[g.spatial + 1])]);
            }
        }
    }
}

/// Adds the gradient of images image0..image0 + images into the slots' sums.
fn sumWeightGrad(g: *const conv.Geometry, input_layout: *const Layout,
    cot_layout: *const CotangentLayout, column_offsets: []const i64, image0: usize,
    images: usize, sums: []f32, slots: usize, slot_len: usize) void {
    const Context = struct {
        g: *const conv.Geometry,
        input_layout: *const Layout,
        cot_layout: *const CotangentLayout,
        column_offsets: []const i64,
        image0: usize,
        rows: usize,
        blocks: usize,
        slots: usize,
        sums: []f32,
        slot_len: usize,

        fn range(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const @This() = @ptrCast(@alignCast(context));
            for (start..end) |slot| {
                const first = slot * self.blocks / self.slots;
                const last = (slot + 1) * self.blocks / self.slots;
                const sum = self.sums[slot * self.slot_len ..][0..self.slot_len];
                for (first..last) |block| self.sumBlock(block, sum);
            }
        }

        fn sumBlock(self: *const @This(), block: usize, sum: []f32) void {
            const geo = self.g;
            const channels = geo.in_channels_per_group;
            const og = geo.out_channels_per_group;
            const panels = std.math.divCeil(usize, og, nr) catch unreachable;
            const column_tiles = self.column_offsets.len / mr;
            const p0 = block * grad_block_pixels;
            const count = @min(grad_block_pixels, self.rows - p0);
            assert(count > 0);
            const out_pixels = geo.outPixels();
            var x_bases: [grad_block_pixels][*]const f32 = undefined;
            var cot_rows: [grad_block_pixels][*]const f32 = undefined;
            for (0..count) |i| {
                const p = p0 + i;
                x_bases[i] = self.input_layout.base +
                    @as(usize, @intCast(patchOffset(geo, self.input_layout, p)));
                const cot_offset: i64 = if (self.cot_layout.in_place)
                    self.cot_layout.offset + conv.stridedPixel(geo, self.image0 * out_pixels + p, self.cot_layout.strides)
                else
                    @intCast(p * geo.groups * self.cot_layout.group_stride);
                cot_rows[i] = self.cot_layout.base + @as(usize, @intCast(cot_offset));
            }
            for (0..geo.groups) |group| {
                const x_group = group * channels;
                const cot_group = group * self.cot_layout.group_stride;
                for (0..column_tiles) |tile_index| {
                    const offsets = self.column_offsets[tile_index * mr ..][0..mr];
                    for (0..panels) |panel| {
                        const acc_base = ((group * column_tiles + tile_index) * mr) * panels * nr + panel * nr;
                        gradTile(x_bases[0..count], x_group, offsets, cot_rows[0..count],
                            cot_group + panel * nr, sum[acc_base..].ptr, panels * nr);
                    }
                }
            }
        }
    };
    const rows = images * g.outPixels();
    const context: Context = .{ .g = g, .input_layout = input_layout, .cot_layout = cot_layout,
        .column_offsets = column_offsets, .image0 = image0, .rows = rows,
        .blocks = std.math.divCeil(usize, rows, grad_block_pixels) catch unreachable,
        .slots = slots, .sums = sums, .slot_len = slot_len };
    pool.parallelFor(slots, 1, &context, Context.range);
}

/// Element offset in `layout` of the patch base of output pixel `row` of the chunk.
fn patchOffset(g: *const conv.Geometry, layout: *const Layout, row: usize) i64 {
    const out_pixels = g.outPixels();
    var rest = row % out_pixels;
    var offset: i64 = @as(i64, @intCast(row / out_pixels)) * layout.image_stride;
    var axis = g.spatial;
    while (axis > 0) {
        axis -= 1;
        const position: i64 = @intCast(rest % g.out_size[axis]);
        rest /= g.out_size[axis];
        offset += position * g.stride[axis] * layout.strides[axis];
    }
    return offset;
}

/// acc[r][0..nr] (row stride `ldc`) += sum over pixels i of
/// x_bases[i][x_channel + offsets[r]] * cot_rows[i][cot_channel..][0..nr].
fn gradTile(x_bases: []const [*]const f32, x_channel: usize, offsets: *const [mr]i64,
    cot_rows: []const [*]const f32, cot_channel: usize, acc_out: [*]f32, ldc: usize) void {
    var acc: [mr][row_vectors]V = undefined;
    inline for (0..mr) |r| {
        inline for (0..row_vectors) |v| acc[r][v] = acc_out[r * ldc + v * lanes ..][0..lanes].*;
    }
    var column: [mr]usize = undefined;
    inline for (0..mr) |r| column[r] = x_channel + @as(usize, @intCast(offsets[r]));
    for (x_bases, cot_rows) |x, cot| {
        var cv: [row_vectors]V = undefined;
        inline for (0..row_vectors) |v| cv[v] = cot[cot_channel + v * lanes ..][0..lanes].*;
        inline for (0..mr) |r| {
            const av: V = @splat(x[column[r]]);
            inline for (0..row_vectors) |v| acc[r][v] = simd.mulAdd(V, av, cv[v], acc[r][v]);
        }
    }
    inline for (0..mr) |r| {
        inline for (0..row_vectors) |v| acc_out[r * ldc + v * lanes ..][0..lanes].* = acc[r][v];
    }
}
