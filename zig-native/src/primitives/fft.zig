//! fft: discrete Fourier transforms along a list of axes with MLX's rules (mlx/fft.cpp): the
//! input is sliced or zero-padded to the requested sizes, converted (float32 for a real forward
//! transform, complex64 otherwise), and one primitive applies a 1-D pass along each axis.
//! Real transforms use the last listed axis as the real one: rfftn keeps n/2 + 1 frequencies
//! there; irfftn reads n/2 + 1 and writes n. Inverses are scaled by 1/n per axis (the
//! "backward" normalization; other norms are a multiply composed in TypeScript).

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const memory = @import("../memory.zig");
const shape_mod = @import("../shape.zig");
const dtype_mod = @import("../dtype.zig");
const Array = @import("../array.zig").Array;
const astype = @import("astype.zig");
const view = @import("view.zig");
const join = @import("join.zig");
const cpu_fft = @import("../backend/cpu/fft.zig");
const binary = @import("binary.zig");
const grad_ops = @import("../transforms/grad_ops.zig");

const ndim_max = shape_mod.ndim_max;
const DType = dtype_mod.DType;

pub const Params = struct {
    /// The transformed axes (resolved, distinct), in the order given.
    axes: [ndim_max]u8,
    axis_count: u8,
    inverse: bool,
    /// Real transform: rfftn (forward) or irfftn (inverse) along the last axis.
    real: bool,

    fn slice(self: *const Params) []const u8 {
        return self.axes[0..self.axis_count];
    }
};

/// A list of integers as MLX prints it: `(1,2)`.
const List = struct {
    values: []const i32,

    pub fn format(self: List, writer: *std.Io.Writer) std.Io.Writer.Error!void {
        try writer.writeByte('(');
        for (self.values, 0..) |value, i| {
            if (i > 0) try writer.writeByte(',');
            try writer.print("{d}", .{value});
        }
        try writer.writeByte(')');
    }
};

/// Records the transform of `input` along `axes` (negative count from the end). `sizes`
/// gives the transform length per axis (null: the input's lengths; for irfftn the last is
/// 2 (m - 1) for an input length m). Empty `axes` return the input itself.
pub fn create(
    input: *Array,
    axes: []const i32,
    sizes: ?[]const i32,
    real: bool,
    inverse: bool,
) errors.Error!*Array {
    if (input.shape.ndim < 1) {
        return errors.fail(error.InvalidArgument, "[fftn] Requires array with at least one " ++
            "dimension.", .{});
    }
    if (sizes != null and sizes.?.len != axes.len) {
        return errors.fail(error.InvalidArgument, "[fftn] Shape and axes have different " ++
            "sizes.", .{});
    }
    if (axes.len == 0) {
        input.retain();
        return input;
    }
    const params = try resolveAxes(input.shape, axes, real, inverse);
    var n: [ndim_max]i32 = undefined;
    for (params.slice(), 0..) |axis, i| {
        n[i] = if (sizes) |given| given[i] else input.shape.dims[axis];
    }
    const count = params.axis_count;
    if (sizes == null and real and inverse) n[count - 1] = (n[count - 1] - 1) * 2;
    for (n[0..count]) |size| {
        if (size <= 0) {
            return errors.fail(error.InvalidArgument, "[fftn] Invalid FFT output size " ++
                "requested {f}", .{List{ .values = n[0..count] }});
        }
    }
    const last_axis = params.axes[count - 1];
    var in_shape = input.shape;
    for (params.slice(), 0..) |axis, i| in_shape.dims[axis] = n[i];
    if (real and inverse) in_shape.dims[last_axis] = @divTrunc(n[count - 1], 2) + 1;
    var out_shape = in_shape;
    if (real) {
        const half = @divTrunc(in_shape.dims[last_axis], 2) + 1;
        out_shape.dims[last_axis] = if (inverse) n[count - 1] else half;
    }
    const in_type: DType = if (real and !inverse) .float32 else .complex64;
    const out_type: DType = if (real and inverse) .float32 else .complex64;
    const sized = try resize(input, in_shape, in_type);
    defer sized.release();
    return Array.createLazy(out_type, out_shape, .{ .fft = params }, &.{sized});
}

/// The axes resolved against `shape`, checked for duplicates and range (MLX's messages).
fn resolveAxes(
    shape: shape_mod.Shape,
    axes: []const i32,
    real: bool,
    inverse: bool,
) errors.Error!Params {
    if (axes.len > ndim_max) {
        return errors.fail(error.InvalidArgument, "[fftn] {d} axes given; at most {d}", .{
            axes.len, ndim_max,
        });
    }
    const ndim: i32 = shape.ndim;
    var resolved: [ndim_max]i32 = undefined;
    for (axes, 0..) |axis, i| resolved[i] = if (axis < 0) axis + ndim else axis;
    for (0..axes.len) |i| {
        for (0..i) |j| {
            if (resolved[i] == resolved[j]) {
                const list: List = .{ .values = axes };
                return errors.fail(error.InvalidArgument, "[fftn] Duplicated axis " ++
                    "received {f}", .{list});
            }
        }
    }
    var params: Params = .{
        .axes = undefined,
        .axis_count = @intCast(axes.len),
        .inverse = inverse,
        .real = real,
    };
    for (resolved[0..axes.len], 0..) |axis, i| {
        if (axis < 0 or axis >= ndim) {
            return errors.fail(error.InvalidArgument, "[fftn] Invalid axis received for array " ++
                "with {d} dimensions.", .{ndim});
        }
        params.axes[i] = @intCast(axis);
    }
    return params;
}

/// `input` cut to `target` where it is longer, converted to `dtype`, and zero-padded at the
/// end where it is shorter.
fn resize(input: *Array, target: shape_mod.Shape, dtype: DType) errors.Error!*Array {
    assert(input.shape.ndim == target.ndim);
    const ndim = target.ndim;
    var sizes: [ndim_max]i32 = undefined;
    var any_less = false;
    for (0..ndim) |axis| {
        sizes[axis] = @min(input.shape.dims[axis], target.dims[axis]);
        any_less = any_less or target.dims[axis] < input.shape.dims[axis];
    }
    var current = input;
    current.retain();
    errdefer current.release();
    if (any_less) {
        const starts: [ndim_max]i32 = @splat(0);
        const steps: [ndim_max]i32 = @splat(1);
        const cut = try view.createSlice(current, starts[0..ndim], sizes[0..ndim], steps[0..ndim]);
        current.release();
        current = cut;
    }
    const converted = try astype.create(current, dtype);
    current.release();
    current = converted;
    for (0..ndim) |axis| {
        const missing = target.dims[axis] - current.shape.dims[axis];
        if (missing <= 0) continue;
        const padded = try padAxis(current, @intCast(axis), missing);
        current.release();
        current = padded;
    }
    assert(current.shape.eql(target));
    return current;
}

/// `input` followed by `count` zeros along `axis`.
fn padAxis(input: *Array, axis: u8, count: i32) errors.Error!*Array {
    assert(count > 0);
    const zero_bytes: [16]u8 = @splat(0);
    const zero_size_bytes = input.dtype.sizeBytes();
    const zero = try Array.createFromBytes(input.dtype, .{}, zero_bytes[0..zero_size_bytes]);
    defer zero.release();
    var block_shape = input.shape;
    block_shape.dims[axis] = count;
    const block = try view.createBroadcastTo(zero, block_shape);
    defer block.release();
    return join.createConcatenate(&.{ input, block }, axis);
}

/// Allocates the output and runs one pass per axis (see the file comment).
pub fn evalCpu(params: Params, out: *Array) errors.Error!void {
    assert(out.inputs.len == 1);
    assert(params.axis_count >= 1);
    try out.allocateOutput();
    errdefer out.discardOutput();
    if (out.shape.size() == 0) return;
    const input = out.inputs[0];
    const axes = params.slice();
    const last = axes[axes.len - 1];
    const target = operand(out);
    if (!params.real) {
        assert(input.dtype == .complex64 and out.dtype == .complex64);
        try pass(.c2c, params.inverse, input.shape, axes[0], operand(input), target);
        for (axes[1..]) |axis| try pass(.c2c, params.inverse, out.shape, axis, target, target);
    } else if (!params.inverse) {
        assert(input.dtype == .float32 and out.dtype == .complex64);
        try pass(.r2c, false, input.shape, last, operand(input), target);
        for (axes[0 .. axes.len - 1]) |axis| try pass(.c2c, false, out.shape, axis, target, target);
    } else {
        assert(input.dtype == .complex64 and out.dtype == .float32);
        try evalInverseReal(axes, input, out);
    }
}

/// irfftn: complex inverse passes on a copy of the input along all axes but the last, then
/// the complex-to-real pass into the output.
fn evalInverseReal(axes: []const u8, input: *Array, out: *Array) errors.Error!void {
    const last = axes[axes.len - 1];
    if (axes.len == 1) {
        return passToReal(input.shape, last, out.shape.dims[last], operand(input), operand(out));
    }
    const size_bytes = @as(usize, @intCast(input.shape.size())) * DType.complex64.sizeBytes();
    const buffer = try memory.Buffer.create(size_bytes);
    defer buffer.release();
    const temporary: cpu_fft.Operand = .{
        .base = buffer.bytes.ptr,
        .strides = shape_mod.rowMajorStrides(input.shape),
        .offset = 0,
    };
    try pass(.c2c, true, input.shape, axes[0], operand(input), temporary);
    for (axes[1 .. axes.len - 1]) |axis| {
        try pass(.c2c, true, input.shape, axis, temporary, temporary);
    }
    try passToReal(input.shape, last, out.shape.dims[last], temporary, operand(out));
}

fn operand(array: *const Array) cpu_fft.Operand {
    return .{ .base = array.basePtr(u8), .strides = array.strides, .offset = array.offset };
}

/// One pass along `axis` of the source (of shape `shape`); its transform length is the
/// source's length there (c2c, r2c) or `real_length` (c2r: the target's).
fn pass(
    kind: cpu_fft.Kind,
    inverse: bool,
    shape: shape_mod.Shape,
    axis: u8,
    source: cpu_fft.Operand,
    target: cpu_fft.Operand,
) errors.Error!void {
    assert(kind != .c2r);
    return cpu_fft.run(.{
        .kind = kind,
        .inverse = inverse,
        .shape = shape,
        .axis = axis,
        .length = @intCast(shape.dims[axis]),
        .source = source,
        .target = target,
    });
}

fn passToReal(
    shape: shape_mod.Shape,
    axis: u8,
    real_length: i32,
    source: cpu_fft.Operand,
    target: cpu_fft.Operand,
) errors.Error!void {
    return cpu_fft.run(.{
        .kind = .c2r,
        .inverse = true,
        .shape = shape,
        .axis = axis,
        .length = @intCast(real_length),
        .source = source,
        .target = target,
    });
}

// ---------------------------------------------------------------------------------------------
// Derivative (MLX's FFT::vjp): the adjoint transform, scaled; the real transforms weight the
// terms that stand for two (conjugate) frequencies.

/// vjp of fft: the cotangent of the (sized, converted) input.
pub fn vjp(params: Params, out: *Array, cotangent: *Array) errors.Error!*Array {
    const input = out.inputs[0];
    const axes_u8 = params.slice();
    var axes: [ndim_max]i32 = undefined;
    for (axes_u8, 0..) |axis, i| axes[i] = axis;
    const axis_list = axes[0..axes_u8.len];
    // The element count of the forward transform (the real side's lengths for real ones).
    const lengths = if (params.inverse) out.shape else input.shape;
    var count: f64 = 1;
    for (axes_u8) |axis| count *= @floatFromInt(lengths.dims[axis]);
    const last = axes_u8[axes_u8.len - 1];

    if (!params.real) {
        const back = try create(cotangent, axis_list, null, false, !params.inverse);
        defer back.release();
        return grad_ops.scale(back, if (params.inverse) 1 / count else count);
    }
    if (params.inverse) {
        // irfftn: each interior term of the half spectrum was used twice.
        const spectrum = try create(cotangent, axis_list, null, true, false);
        defer spectrum.release();
        const odd = @rem(out.shape.dims[last], 2) == 1;
        const mask = try halfSpectrumMask(input.shape, last, odd, 2 / count, 1 / count);
        defer mask.release();
        return binary.create(.multiply, spectrum, mask);
    }
    // rfftn: halve the interior terms, back to the real signal at the input's lengths.
    const odd = @rem(input.shape.dims[last], 2) == 1;
    const mask = try halfSpectrumMask(out.shape, last, odd, 0.5, 1);
    defer mask.release();
    const masked = try binary.create(.multiply, cotangent, mask);
    defer masked.release();
    var sizes: [ndim_max]i32 = undefined;
    for (axes_u8, 0..) |axis, i| sizes[i] = input.shape.dims[axis];
    const signal = try create(masked, axis_list, sizes[0..axes_u8.len], true, true);
    defer signal.release();
    return grad_ops.scale(signal, count);
}

/// A complex64 array broadcastable to `shape`, varying along `axis` (a half spectrum of
/// `shape.dims[axis]` terms): `interior` for the terms with a conjugate partner, `ends` for
/// the zero frequency and (for an even signal length, `odd` false) the Nyquist term.
fn halfSpectrumMask(
    shape: shape_mod.Shape,
    axis: u8,
    odd: bool,
    interior: f64,
    ends: f64,
) errors.Error!*Array {
    const terms: usize = @intCast(shape.dims[axis]);
    const values = memory.allocator.alloc(dtype_mod.Complex64, terms) catch
        return memory.outOfMemory(terms * @sizeOf(dtype_mod.Complex64));
    defer memory.allocator.free(values);
    const last_interior = if (odd) terms else terms -| 1;
    for (values, 0..) |*value, term| {
        const inside = term > 0 and term < last_interior;
        value.* = .{ .re = @floatCast(if (inside) interior else ends), .im = 0 };
    }
    var mask_shape: shape_mod.Shape = .{ .ndim = shape.ndim };
    for (0..shape.ndim) |i| mask_shape.dims[i] = 1;
    mask_shape.dims[axis] = @intCast(terms);
    return Array.createFromBytes(.complex64, mask_shape, std.mem.sliceAsBytes(values));
}

const graph = @import("../graph.zig");

fn testArray(comptime T: type, dtype: DType, values: []const T, dims: []const i32) !*Array {
    const shape = try shape_mod.Shape.init(dims);
    return Array.createFromBytes(dtype, shape, std.mem.sliceAsBytes(values));
}

test "fft pads, rfft keeps n/2 + 1 terms and irfft restores the signal" {
    const x = try testArray(i32, .int32, &.{ 1, 2, 3, 4 }, &.{4});
    defer x.release();
    const padded = try create(x, &.{-1}, &.{5}, false, false);
    defer padded.release();
    const half = try create(x, &.{0}, null, true, false);
    defer half.release();
    const back = try create(half, &.{0}, &.{4}, true, true);
    defer back.release();
    try graph.eval(&.{ padded, half, back });
    try std.testing.expectEqual(DType.complex64, padded.dtype);
    try std.testing.expectEqualSlices(i32, &.{5}, padded.shape.slice());
    const first = padded.dataPtr(dtype_mod.Complex64)[0];
    try std.testing.expectApproxEqAbs(@as(f32, 10), first.re, 1e-5);
    try std.testing.expectEqualSlices(i32, &.{3}, half.shape.slice());
    const spectrum = half.dataPtr(dtype_mod.Complex64)[0..3];
    try std.testing.expectApproxEqAbs(@as(f32, -2), spectrum[1].re, 1e-5);
    try std.testing.expectApproxEqAbs(@as(f32, 2), spectrum[1].im, 1e-5);
    try std.testing.expectEqual(DType.float32, back.dtype);
    for (back.dataPtr(f32)[0..4], [_]f32{ 1, 2, 3, 4 }) |got, want| {
        try std.testing.expectApproxEqAbs(want, got, 1e-5);
    }
}

test "fft errors use MLX's messages" {
    const x = try testArray(f32, .float32, &.{ 1, 2, 3, 4, 5, 6 }, &.{ 2, 3 });
    defer x.release();
    try std.testing.expectError(error.InvalidArgument, create(x, &.{ 0, -2 }, null, false, false));
    try std.testing.expectEqualStrings("[fftn] Duplicated axis received (0,-2)", errors.message());
    try std.testing.expectError(error.InvalidArgument, create(x, &.{2}, null, false, false));
    try std.testing.expectEqualStrings("[fftn] Invalid axis received for array with 2 " ++
        "dimensions.", errors.message());
    const bad_sizes = create(x, &.{ 0, 1 }, &.{ 2, 0 }, false, true);
    try std.testing.expectError(error.InvalidArgument, bad_sizes);
    const message = "[fftn] Invalid FFT output size requested (2,0)";
    try std.testing.expectEqualStrings(message, errors.message());
    const same = try create(x, &.{}, null, true, true);
    defer same.release();
    try std.testing.expectEqual(x, same);
}
