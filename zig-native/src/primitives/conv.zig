//! convolution: MLX's Convolution primitive (conv_general). Channels last: input
//! [N, spatial..., C_in], weight [C_out, kernel..., C_in / groups], output [N, out..., C_out],
//! one to three spatial axes. Parameters per spatial axis: stride, padding low and high, kernel
//! dilation, input dilation; then groups (1D and 2D only, as in MLX) and flip (convolution
//! rather than cross-correlation). Negative padding crops the input (a slice view), as MLX's
//! conv_general does. conv1d/2d/3d and the transposed convolutions are composed in TypeScript.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const shape_mod = @import("../shape.zig");
const dtype_mod = @import("../dtype.zig");
const Array = @import("../array.zig").Array;
const astype = @import("astype.zig");
const view = @import("view.zig");
const cpu_conv = @import("../backend/cpu/conv.zig");

const spatial_max = cpu_conv.spatial_max;

/// What the node records (padding already non-negative).
pub const Params = struct {
    stride: [spatial_max]i32,
    padding_lo: [spatial_max]i32,
    padding_hi: [spatial_max]i32,
    kernel_dilation: [spatial_max]i32,
    input_dilation: [spatial_max]i32,
    groups: i32,
    flip: bool,
};

/// The caller's parameters: each list has one entry per spatial axis.
pub const Options = struct {
    stride: []const i32,
    padding_lo: []const i32,
    padding_hi: []const i32,
    kernel_dilation: []const i32,
    input_dilation: []const i32,
    groups: i32 = 1,
    flip: bool = false,
};

/// Formats an i32 list as `[1,2]` in messages.
const List = struct {
    values: []const i32,

    pub fn format(self: List, writer: *std.Io.Writer) std.Io.Writer.Error!void {
        try writer.writeByte('[');
        for (self.values, 0..) |value, index| {
            if (index > 0) try writer.writeByte(',');
            try writer.print("{d}", .{value});
        }
        try writer.writeByte(']');
    }
};

/// Records the convolution of `input` with `weight`.
pub fn create(input: *Array, weight: *Array, options: Options) errors.Error!*Array {
    try checkArrays(input, weight, options.groups);
    const spatial: usize = input.shape.ndim - 2;
    try checkParameterCounts(options, spatial);
    const dtype = dtype_mod.promote(input.dtype, weight.dtype);
    if (!dtype.isFloating()) {
        return errors.fail(error.DTypeMismatch, "[conv] only floating-point dtypes are " ++
            "supported; got {s} input and {s} weight (promoting to {s})", .{
            input.dtype.name(), weight.dtype.name(), dtype.name() });
    }
    var params: Params = .{
        .stride = @splat(1),
        .padding_lo = @splat(0),
        .padding_hi = @splat(0),
        .kernel_dilation = @splat(1),
        .input_dilation = @splat(1),
        .groups = options.groups,
        .flip = options.flip,
    };
    @memcpy(params.stride[0..spatial], options.stride);
    @memcpy(params.padding_lo[0..spatial], options.padding_lo);
    @memcpy(params.padding_hi[0..spatial], options.padding_hi);
    @memcpy(params.kernel_dilation[0..spatial], options.kernel_dilation);
    @memcpy(params.input_dilation[0..spatial], options.input_dilation);

    const cropped = try cropNegativePadding(input, &params, spatial);
    defer cropped.release();
    const out_shape = try outputShape(cropped.shape, weight.shape, &params, spatial);
    const input_cast = try astype.create(cropped, dtype);
    defer input_cast.release();
    const weight_cast = try astype.create(weight, dtype);
    defer weight_cast.release();
    return Array.createLazy(dtype, out_shape, .{ .convolution = params }, &.{
        input_cast, weight_cast,
    });
}

/// MLX's checks, in its order: groups, dimensions, input dtype, channels.
fn checkArrays(input: *const Array, weight: *const Array, groups: i32) errors.Error!void {
    if (groups < 1) {
        return errors.fail(error.InvalidArgument, "[conv] groups must be positive; got {d}",
            .{groups});
    }
    const ndim = input.shape.ndim;
    if (groups != 1 and ndim != 3 and ndim != 4) {
        return errors.fail(error.InvalidArgument, "[conv] Can only handle groups != 1 in 1D " ++
            "or 2D convolutions; got input of shape {f} and {d} groups", .{ input.shape, groups });
    }
    if (ndim < 3 or ndim > spatial_max + 2) {
        return errors.fail(error.ShapeMismatch, "[conv] Only works for inputs with 1-3 " ++
            "spatial dimensions. The inputs must be in the format [N, ..., C_in]; got shape {f}",
            .{input.shape});
    }
    if (!input.dtype.isFloating()) {
        return errors.fail(error.DTypeMismatch, "[conv] Invalid input array with type {s}. " ++
            "Convolution currently only supports floating point types", .{input.dtype.name()});
    }
    if (weight.shape.ndim != ndim) {
        return errors.fail(error.ShapeMismatch, "[conv] Invalid weight array with {d} " ++
            "dimensions for {d}D convolution. Expected an array with {d} dimensions following " ++
            "the format [C_out, ..., C_in]; got weight of shape {f}", .{
            weight.shape.ndim, ndim - 2, ndim, weight.shape });
    }
    const in_channels = input.shape.dims[ndim - 1];
    const out_channels = weight.shape.dims[0];
    if (@rem(in_channels, groups) != 0) {
        return errors.fail(error.ShapeMismatch, "[conv] The input channels must be divisible " ++
            "by the number of groups. Got input with shape {f} and {d} groups.", .{
            input.shape, groups });
    }
    if (groups > 1 and @rem(out_channels, groups) != 0) {
        return errors.fail(error.ShapeMismatch, "[conv] If groups > 1, the output channels " ++
            "must be divisible by the number of groups. Got {d} output channels and {d} groups.",
            .{ out_channels, groups });
    }
    const weight_channels = weight.shape.dims[ndim - 1];
    if (in_channels != @as(i64, groups) * weight_channels) {
        if (groups == 1) {
            return errors.fail(error.ShapeMismatch, "[conv] Expect the input channels in the " ++
                "input and weight array to match but got shapes - input: {f} and weight: {f}",
                .{ input.shape, weight.shape });
        }
        return errors.fail(error.ShapeMismatch, "[conv] Given groups={d} and weights of shape " ++
            "{f}, expected to have {d} input channels but got {d} input channels instead.", .{
            groups, weight.shape, @as(i64, groups) * weight_channels, in_channels });
    }
}

fn checkParameterCounts(options: Options, spatial: usize) errors.Error!void {
    const lists = [_]struct { []const u8, []const i32 }{
        .{ "strides", options.stride },
        .{ "padding low", options.padding_lo },
        .{ "padding high", options.padding_hi },
        .{ "kernel dilation", options.kernel_dilation },
        .{ "input dilation", options.input_dilation },
    };
    for (lists) |entry| {
        if (entry[1].len != spatial) {
            return errors.fail(error.InvalidArgument, "[conv] Invalid {s} {f} for {d}D " ++
                "convolution.", .{ entry[0], List{ .values = entry[1] }, spatial });
        }
    }
}

/// A negative padding crops the input on that side (MLX slices it); the padding becomes 0.
fn cropNegativePadding(input: *Array, params: *Params, spatial: usize) errors.Error!*Array {
    var starts: [shape_mod.ndim_max]i32 = @splat(0);
    var sizes: [shape_mod.ndim_max]i32 = input.shape.dims;
    const steps: [shape_mod.ndim_max]i32 = @splat(1);
    var cropped = false;
    for (0..spatial) |axis| {
        const dim = input.shape.dims[axis + 1];
        var start: i64 = 0;
        var stop: i64 = dim;
        if (params.padding_lo[axis] < 0) {
            start = -@as(i64, params.padding_lo[axis]);
            params.padding_lo[axis] = 0;
            cropped = true;
        }
        if (params.padding_hi[axis] < 0) {
            stop += params.padding_hi[axis];
            params.padding_hi[axis] = 0;
            cropped = true;
        }
        // Crops past the whole axis leave it empty (MLX's slice clamps the same way).
        start = @min(start, dim);
        stop = @max(stop, start);
        starts[axis + 1] = @intCast(start);
        sizes[axis + 1] = @intCast(stop - start);
    }
    if (!cropped) {
        input.retain();
        return input;
    }
    const ndim = input.shape.ndim;
    return view.createSlice(input, starts[0..ndim], sizes[0..ndim], steps[0..ndim]);
}

/// MLX's conv_out_shape: positive dilations and strides, and at least one output per axis
/// (`(dilated input + padding - dilated kernel) / stride + 1`, the division truncating).
fn outputShape(in_shape: shape_mod.Shape, weight_shape: shape_mod.Shape, params: *const Params,
    spatial: usize) errors.Error!shape_mod.Shape {
    const kernel_dilation = params.kernel_dilation[0..spatial];
    const input_dilation = params.input_dilation[0..spatial];
    const stride = params.stride[0..spatial];
    for (0..spatial) |axis| {
        if (kernel_dilation[axis] <= 0) {
            return errors.fail(error.InvalidArgument, "[conv] Kernel dilation sizes must be " ++
                "positive. Got kernel dilation {f}.", .{List{ .values = kernel_dilation }});
        }
        if (input_dilation[axis] <= 0) {
            return errors.fail(error.InvalidArgument, "[conv] Input dilation sizes must be " ++
                "positive. Got input dilation {f}.", .{List{ .values = input_dilation }});
        }
        if (stride[axis] <= 0) {
            return errors.fail(error.InvalidArgument, "[conv] Stride sizes must be positive. " ++
                "Got strides {f}.", .{List{ .values = stride }});
        }
    }
    var out_shape = in_shape;
    out_shape.dims[in_shape.ndim - 1] = weight_shape.dims[0];
    for (0..spatial) |axis| {
        assert(params.padding_lo[axis] >= 0 and params.padding_hi[axis] >= 0);
        const kernel_extent = 1 + @as(i64, kernel_dilation[axis]) *
            (@as(i64, weight_shape.dims[axis + 1]) - 1);
        const in_extent = 1 + @as(i64, input_dilation[axis]) *
            (@as(i64, in_shape.dims[axis + 1]) - 1);
        const padding = @as(i64, params.padding_lo[axis]) + params.padding_hi[axis];
        const size = @divTrunc(in_extent + padding - kernel_extent, stride[axis]) + 1;
        if (size <= 0) {
            const low: List = .{ .values = params.padding_lo[0..spatial] };
            const high: List = .{ .values = params.padding_hi[0..spatial] };
            return errors.fail(error.ShapeMismatch, "[conv] Spatial dimensions of input after " ++
                "padding cannot be smaller than weight spatial dimensions. Got error at axis " ++
                "{d} for input with shape {f}, padding low {f}, padding high {f}, and weight " ++
                "of shape {f}.", .{ axis + 1, in_shape, low, high, weight_shape });
        }
        if (size > std.math.maxInt(i32)) {
            return errors.fail(error.LimitExceeded, "[conv] output axis {d} would have {d} " ++
                "elements", .{ axis + 1, size });
        }
        out_shape.dims[axis + 1] = @intCast(size);
    }
    return shape_mod.Shape.init(out_shape.slice());
}

/// Allocates the row-major output and runs the kernel for its dtype.
pub fn evalCpu(params: Params, out: *Array) errors.Error!void {
    assert(out.inputs.len == 2);
    try out.allocateOutput();
    errdefer out.discardOutput();
    switch (out.dtype) {
        .float32 => try evalTyped(f32, params, out),
        .float64 => try evalTyped(f64, params, out),
        .float16 => try evalTyped(f16, params, out),
        .bfloat16 => try evalTyped(dtype_mod.BFloat16, params, out),
        else => unreachable,
    }
}

fn evalTyped(comptime T: type, params: Params, out: *Array) errors.Error!void {
    const input = out.inputs[0];
    const weight = out.inputs[1];
    assert(input.dtype == out.dtype and weight.dtype == out.dtype);
    const geometry = geometryOf(params, input, weight.shape, out.shape, weight.offset, weight.strides);
    try cpu_conv.run(T, &geometry, input.basePtr(T), weight.basePtr(T), out.dataPtr(T));
}

/// The kernel's description of the convolution of `input` with a weight of `weight_shape`
/// giving `out_shape` (the weight's offset and strides as given).
fn geometryOf(params: Params, input: *const Array, weight_shape: shape_mod.Shape,
    out_shape: shape_mod.Shape, weight_offset: i64, weight_strides: shape_mod.Strides) cpu_conv.Geometry {
    const ndim = input.shape.ndim;
    const spatial: usize = ndim - 2;
    assert(spatial >= 1 and spatial <= spatial_max);
    const groups: usize = @intCast(params.groups);
    var geometry: cpu_conv.Geometry = .{
        .spatial = spatial,
        .batch = @intCast(input.shape.dims[0]),
        .in_size = @splat(1),
        .out_size = @splat(1),
        .kernel_size = @splat(1),
        .stride = @splat(1),
        .padding_lo = @splat(0),
        .kernel_dilation = @splat(1),
        .input_dilation = @splat(1),
        .groups = groups,
        .in_channels_per_group = @as(usize, @intCast(input.shape.dims[ndim - 1])) / groups,
        .out_channels_per_group = @as(usize, @intCast(weight_shape.dims[0])) / groups,
        .flip = params.flip,
        .in_offset = input.offset,
        .in_strides = undefined,
        .weight_offset = weight_offset,
        .weight_strides = undefined,
    };
    for (0..spatial) |axis| {
        geometry.in_size[axis] = @intCast(input.shape.dims[axis + 1]);
        geometry.out_size[axis] = @intCast(out_shape.dims[axis + 1]);
        geometry.kernel_size[axis] = @intCast(weight_shape.dims[axis + 1]);
        geometry.stride[axis] = params.stride[axis];
        geometry.padding_lo[axis] = params.padding_lo[axis];
        geometry.kernel_dilation[axis] = params.kernel_dilation[axis];
        geometry.input_dilation[axis] = params.input_dilation[axis];
    }
    @memcpy(geometry.in_strides[0..ndim], input.strides[0..ndim]);
    @memcpy(geometry.weight_strides[0..ndim], weight_strides[0..ndim]);
    return geometry;
}

// ---------------------------------------------------------------------------------------------
// conv_weight_grad: the weight's gradient as one product (cotangent^T x patches) over the
// same blocked GEMM, without materialising transposed copies of the input or cotangent.

/// Records the gradient of the convolution `params` of `input` with respect to a weight of
/// `weight_shape`, given the output's `cotangent`.
pub fn createWeightGrad(params: Params, input: *Array, cotangent: *Array,
    weight_shape: shape_mod.Shape) errors.Error!*Array {
    assert(input.dtype == cotangent.dtype and input.dtype.isFloating());
    assert(input.shape.ndim == cotangent.shape.ndim and weight_shape.ndim == input.shape.ndim);
    return Array.createLazy(input.dtype, weight_shape, .{ .conv_weight_grad = params }, &.{
        input, cotangent,
    });
}

pub fn evalWeightGrad(params: Params, out: *Array) errors.Error!void {
    assert(out.inputs.len == 2);
    try out.allocateOutput();
    errdefer out.discardOutput();
    switch (out.dtype) {
        .float32 => try evalWeightGradTyped(f32, params, out),
        .float64 => try evalWeightGradTyped(f64, params, out),
        .float16 => try evalWeightGradTyped(f16, params, out),
        .bfloat16 => try evalWeightGradTyped(dtype_mod.BFloat16, params, out),
        else => unreachable,
    }
}

fn evalWeightGradTyped(comptime T: type, params: Params, out: *Array) errors.Error!void {
    const input = out.inputs[0];
    const cotangent = out.inputs[1];
    assert(input.dtype == out.dtype and cotangent.dtype == out.dtype);
    const geometry = geometryOf(params, input, out.shape, cotangent.shape, 0, out.strides);
    var cotangent_strides: [spatial_max + 2]i64 = undefined;
    const ndim = input.shape.ndim;
    @memcpy(cotangent_strides[0..ndim], cotangent.strides[0..ndim]);
    try cpu_conv.runWeightGrad(T, &geometry, input.basePtr(T), cotangent.basePtr(T),
        cotangent.offset, cotangent_strides, out.dataPtr(T));
}

/// vjp of conv_weight_grad, bilinear in (input, cotangent) with the weight-shaped cotangent
/// `c`: for the input, the input gradient of the convolution with weight `c`; for the
/// forward cotangent, the convolution of the input with weight `c`.
pub fn vjpWeightGrad(params: Params, node: *Array, c: *Array, argnum: usize) errors.Error!*Array {
    assert(argnum < 2);
    const input = node.inputs[0];
    const forward_cotangent = node.inputs[1];
    if (argnum == 0) return inputGrad(params, input.shape, c, forward_cotangent);
    const spatial = input.shape.ndim - 2;
    return create(input, c, .{
        .stride = params.stride[0..spatial],
        .padding_lo = params.padding_lo[0..spatial],
        .padding_hi = params.padding_hi[0..spatial],
        .kernel_dilation = params.kernel_dilation[0..spatial],
        .input_dilation = params.input_dilation[0..spatial],
        .groups = params.groups,
        .flip = params.flip,
    });
}

// ---------------------------------------------------------------------------------------------
// Derivatives: the input's gradient is a convolution (MLX's Convolution::vjp math), the
// weight's a conv_weight_grad node; both run blocked products and can be differentiated again.

/// vjp of convolution for input `argnum` (0: the input, 1: the weight).
pub fn vjp(params: Params, out: *Array, cotangent: *Array, argnum: usize) errors.Error!*Array {
    assert(argnum < 2);
    return if (argnum == 0) vjpInput(params, out, cotangent) else vjpWeight(params, out, cotangent);
}

/// `1 + dilation (size - 1)`: the extent of `size` taps `dilation` apart.
fn dilated(size: i64, dilation: i64) i64 {
    return 1 + dilation * (size - 1);
}

fn narrow(value: i64) errors.Error!i32 {
    if (value > std.math.maxInt(i32)) {
        return errors.fail(error.LimitExceeded, "[conv] a gradient padding of {d} does not fit " ++
            "32 bits", .{value});
    }
    return @intCast(value);
}

/// The input's gradient: the cotangent (dilated by the stride) convolved with the weight
/// (input and output channels swapped per group), flipped, the kernel dilation kept, the
/// padding chosen so each output lands on an input position; the input dilation becomes the
/// stride. Padding that would be negative is raised to the next valid value and the extra
/// outputs sliced off (a negative padding would crop whole cotangent rows, not dilated ones).
fn vjpInput(params: Params, out: *Array, cotangent: *Array) errors.Error!*Array {
    return inputGrad(params, out.inputs[0].shape, out.inputs[1], cotangent);
}

/// The input gradient (of `input_shape`) of the convolution `params` with `weight`, given the
/// output's cotangent.
fn inputGrad(params: Params, input_shape: shape_mod.Shape, weight: *Array, cotangent: *Array) errors.Error!*Array {
    const ndim = input_shape.ndim;
    const spatial = ndim - 2;
    var padding_lo: [spatial_max]i32 = undefined;
    var padding_hi: [spatial_max]i32 = undefined;
    var skip: [spatial_max]i64 = undefined;
    for (0..spatial) |axis| {
        const stride: i64 = params.stride[axis];
        const step: i64 = params.input_dilation[axis];
        const kernel_extent = dilated(weight.shape.dims[axis + 1], params.kernel_dilation[axis]);
        const in_extent = dilated(input_shape.dims[axis + 1], step);
        const out_extent = dilated(cotangent.shape.dims[axis + 1], stride);
        const low: i64 = kernel_extent - 1 - params.padding_lo[axis];
        skip[axis] = if (low >= 0) 0 else std.math.divCeil(i64, -low, step) catch unreachable;
        padding_lo[axis] = try narrow(low + skip[axis] * step);
        padding_hi[axis] = try narrow(@max(0, in_extent - out_extent + params.padding_lo[axis]));
    }
    const weight_swapped = try groupTransposeWeight(weight, params.groups);
    defer weight_swapped.release();
    const grad = try create(cotangent, weight_swapped, .{
        .stride = params.input_dilation[0..spatial],
        .padding_lo = padding_lo[0..spatial],
        .padding_hi = padding_hi[0..spatial],
        .kernel_dilation = params.kernel_dilation[0..spatial],
        .input_dilation = params.stride[0..spatial],
        .groups = params.groups,
        .flip = !params.flip,
    });
    defer grad.release();
    var starts: [shape_mod.ndim_max]i32 = @splat(0);
    for (0..spatial) |axis| starts[axis + 1] = @intCast(skip[axis]);
    return sliceTo(grad, starts[0..ndim], input_shape, false);
}

/// The weight's gradient: one conv_weight_grad node (cotangent^T x input patches).
fn vjpWeight(params: Params, out: *Array, cotangent: *Array) errors.Error!*Array {
    const input = out.inputs[0];
    const weight = out.inputs[1];
    const cotangent_cast = try astype.create(cotangent, input.dtype);
    defer cotangent_cast.release();
    return createWeightGrad(params, input, cotangent_cast, weight.shape);
}

/// `x[starts : starts + shape]` (reversed along the spatial axes when `reverse`); `x` itself
/// when that is all of it.
fn sliceTo(x: *Array, starts: []const i32, shape: shape_mod.Shape, reverse: bool) errors.Error!*Array {
    const ndim = x.shape.ndim;
    assert(starts.len == ndim and shape.ndim == ndim);
    var first: [shape_mod.ndim_max]i32 = undefined;
    var steps: [shape_mod.ndim_max]i32 = @splat(1);
    var whole = !reverse;
    for (0..ndim) |axis| {
        first[axis] = starts[axis];
        whole = whole and starts[axis] == 0 and shape.dims[axis] == x.shape.dims[axis];
        if (reverse and axis >= 1 and axis + 1 < ndim and shape.dims[axis] > 0) {
            first[axis] = starts[axis] + shape.dims[axis] - 1;
            steps[axis] = -1;
        }
    }
    if (whole) {
        x.retain();
        return x;
    }
    return view.createSlice(x, first[0..ndim], shape.slice(), steps[0..ndim]);
}

/// `x` with its first and last axes swapped (a view).
fn swapFirstLast(x: *Array) errors.Error!*Array {
    const ndim = x.shape.ndim;
    var axes: [shape_mod.ndim_max]i32 = undefined;
    for (0..ndim) |axis| axes[axis] = @intCast(axis);
    axes[0] = @intCast(ndim - 1);
    axes[ndim - 1] = 0;
    return view.createTranspose(x, axes[0..ndim]);
}

/// Swaps the first and last axes within each group: a weight [C_out, k..., C_in / G] becomes
/// [C_in, k..., C_out / G] (input channel g * C_in / G + i, for output channel j of group
/// g). With one group, a plain swap of the first and last axes.
fn groupTransposeWeight(x: *Array, groups: i32) errors.Error!*Array {
    if (groups == 1) return swapFirstLast(x);
    const ndim = x.shape.ndim;
    const g: i32 = groups;
    // [G, C_out / G, k..., C_in / G] -> [G, C_in / G, k..., C_out / G]
    var split: shape_mod.Shape = .{ .ndim = ndim + 1 };
    split.dims[0] = g;
    split.dims[1] = @divExact(x.shape.dims[0], g);
    for (1..ndim) |axis| split.dims[axis + 1] = x.shape.dims[axis];
    var axes: [shape_mod.ndim_max]i32 = undefined;
    axes[0] = 0;
    axes[1] = @intCast(ndim);
    for (2..ndim) |axis| axes[axis] = @intCast(axis);
    axes[ndim] = 1;
    var merged: shape_mod.Shape = .{ .ndim = ndim };
    merged.dims[0] = x.shape.dims[ndim - 1] * g;
    for (1..ndim - 1) |axis| merged.dims[axis] = x.shape.dims[axis];
    merged.dims[ndim - 1] = split.dims[1];
    const grouped = try view.createReshape(x, split);
    defer grouped.release();
    const swapped = try view.createTranspose(grouped, axes[0 .. ndim + 1]);
    defer swapped.release();
    return view.createReshape(swapped, merged);
}

const graph = @import("../graph.zig");

fn testArray(values: []const f32, dims: []const i32) !*Array {
    const shape = try shape_mod.Shape.init(dims);
    return Array.createFromBytes(.float32, shape, std.mem.sliceAsBytes(values));
}

test "convolution of a 1D signal: padding, negative padding, flip and errors" {
    const x = try testArray(&.{ 1, 2, 3, 4, 5 }, &.{ 1, 5, 1 });
    defer x.release();
    const w = try testArray(&.{ 1, 10 }, &.{ 1, 2, 1 });
    defer w.release();
    const padded = try create(x, w, .{ .stride = &.{1}, .padding_lo = &.{1},
        .padding_hi = &.{-1}, .kernel_dilation = &.{1}, .input_dilation = &.{1}, .flip = true });
    defer padded.release();
    try graph.eval(&.{padded});
    try std.testing.expectEqualSlices(i32, &.{ 1, 4, 1 }, padded.shape.slice());
    try std.testing.expectEqualSlices(f32, &.{ 1, 12, 23, 34 }, padded.dataPtr(f32)[0..4]);

    try std.testing.expectError(error.ShapeMismatch, create(w, x, .{ .stride = &.{1},
        .padding_lo = &.{0}, .padding_hi = &.{0}, .kernel_dilation = &.{1},
        .input_dilation = &.{1} }));
    try std.testing.expectEqualStrings("[conv] Spatial dimensions of input after padding " ++
        "cannot be smaller than weight spatial dimensions. Got error at axis 1 for input with " ++
        "shape [1,2,1], padding low [0], padding high [0], and weight of shape [1,5,1].",
        errors.message());
}

test "convolution vjp: strided 1D gradients of input and weight" {
    const x = try testArray(&.{ 1, 2, 3, 4, 5 }, &.{ 1, 5, 1 });
    defer x.release();
    const w = try testArray(&.{ 1, 10 }, &.{ 1, 2, 1 });
    defer w.release();
    const y = try create(x, w, .{ .stride = &.{2}, .padding_lo = &.{0}, .padding_hi = &.{0},
        .kernel_dilation = &.{1}, .input_dilation = &.{1} });
    defer y.release();
    const ones = try testArray(&.{ 1, 1 }, &.{ 1, 2, 1 });
    defer ones.release();
    const gx = try vjp(y.primitive.convolution, y, ones, 0);
    defer gx.release();
    const gw = try vjp(y.primitive.convolution, y, ones, 1);
    defer gw.release();
    const gx_row = try astype.createCopy(gx);
    defer gx_row.release();
    const gw_row = try astype.createCopy(gw);
    defer gw_row.release();
    try graph.eval(&.{ gx_row, gw_row });
    try std.testing.expectEqualSlices(i32, &.{ 1, 5, 1 }, gx_row.shape.slice());
    // The last input meets no kernel tap at stride 2.
    try std.testing.expectEqualSlices(f32, &.{ 1, 10, 1, 10, 0 }, gx_row.dataPtr(f32)[0..5]);
    try std.testing.expectEqualSlices(i32, &.{ 1, 2, 1 }, gw_row.shape.slice());
    try std.testing.expectEqualSlices(f32, &.{ 4, 6 }, gw_row.dataPtr(f32)[0..2]);
}
