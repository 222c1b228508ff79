//! Reductions over a set of axes (sum, prod, min, max, all, any), arg-reductions along one
//! axis (argmin, argmax) and scans along one axis (cumsum ... logcumsumexp).

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const shape_mod = @import("../shape.zig");
const dtype_mod = @import("../dtype.zig");
const Array = @import("../array.zig").Array;
const astype = @import("astype.zig");
const view = @import("view.zig");
const unary = @import("unary.zig");
const ternary = @import("ternary.zig");
const creation = @import("creation.zig");
const binary = @import("binary.zig");
const grad_ops = @import("../transforms/grad_ops.zig");
const cpu_reduce = @import("../backend/cpu/reduce.zig");
const axis_ops = @import("../backend/cpu/axis_ops.zig");

comptime {
    assert(shape_mod.ndim_max <= 32); // Axes fit the mask below.
}

pub const Op = cpu_reduce.Op;
pub const ArgOp = axis_ops.ArgOp;
pub const ScanOp = axis_ops.ScanOp;

pub const Params = struct {
    op: Op,
    /// Bit i set: input axis i is reduced.
    axes_mask: u32,
};

pub const ArgParams = struct { op: ArgOp, axis: u8 };

pub const ScanParams = struct { op: ScanOp, axis: u8, reverse: bool, inclusive: bool };

/// Records the reduction of `input` over `axes` (negative counts from the end; empty means
/// every axis, as when MLX is given no axis).
pub fn create(op: Op, input: *Array, axes: []const i32, keepdims: bool) errors.Error!*Array {
    const name = @tagName(op);
    var mask: u32 = 0;
    if (axes.len == 0) {
        mask = if (input.shape.ndim == 0) 0 else (@as(u32, 1) << @intCast(input.shape.ndim)) - 1;
    }
    for (axes) |axis| {
        const resolved = try shape_mod.normalizeAxis(name, axis, input.shape);
        const bit = @as(u32, 1) << @intCast(resolved);
        if (mask & bit != 0) {
            return errors.fail(error.InvalidArgument, "[{s}] axis {d} is repeated in the " ++
                "axes of a reduction over shape {f}", .{ name, axis, input.shape });
        }
        mask |= bit;
    }
    var out_shape: shape_mod.Shape = .{};
    for (0..input.shape.ndim) |axis| {
        const reduced = mask & (@as(u32, 1) << @intCast(axis)) != 0;
        if (reduced and (op == .min or op == .max) and input.shape.dims[axis] == 0) {
            return errors.fail(error.InvalidArgument, "[{s}] cannot reduce over axis {d} of " ++
                "size 0 (shape {f})", .{ name, axis, input.shape });
        }
        if (reduced and !keepdims) continue;
        out_shape.dims[out_shape.ndim] = if (reduced) 1 else input.shape.dims[axis];
        out_shape.ndim += 1;
    }
    const out_dtype = cpu_reduce.outputDtype(op, input.dtype);
    const params: Params = .{ .op = op, .axes_mask = mask };
    return Array.createLazy(out_dtype, out_shape, .{ .reduce = params }, &.{input});
}

pub fn evalCpu(params: Params, out: *Array) errors.Error!void {
    assert(out.inputs.len == 1);
    try out.allocateOutput();
    cpu_reduce.run(params.op, out, out.inputs[0], params.axes_mask);
}

/// Records argmin/argmax of `input` along `axis` (uint32 indices).
pub fn createArg(op: ArgOp, input: *Array, axis: i32, keepdims: bool) errors.Error!*Array {
    const name = @tagName(op);
    const resolved = try shape_mod.normalizeAxis(name, axis, input.shape);
    if (input.shape.size() == 0) {
        return errors.fail(error.InvalidArgument, "[{s}] cannot reduce an empty array (shape {f})", .{
            name, input.shape,
        });
    }
    var out_shape: shape_mod.Shape = .{};
    for (0..input.shape.ndim) |i| {
        if (i == resolved and !keepdims) continue;
        out_shape.dims[out_shape.ndim] = if (i == resolved) 1 else input.shape.dims[i];
        out_shape.ndim += 1;
    }
    const params: ArgParams = .{ .op = op, .axis = resolved };
    return Array.createLazy(.uint32, out_shape, .{ .arg_reduce = params }, &.{input});
}

pub fn evalArgCpu(params: ArgParams, out: *Array) errors.Error!void {
    try out.allocateOutput();
    axis_ops.runArg(params.op, out, out.inputs[0], params.axis);
}

/// Records a scan of `input` along `axis`.
pub fn createScan(op: ScanOp, input: *Array, axis: i32, reverse: bool, inclusive: bool) errors.Error!*Array {
    const resolved = try shape_mod.normalizeAxis(@tagName(op), axis, input.shape);
    const dtype = axis_ops.scanDtype(op, input.dtype);
    const converted = try astype.create(input, dtype);
    defer converted.release();
    const params: ScanParams = .{ .op = op, .axis = resolved, .reverse = reverse, .inclusive = inclusive };
    return Array.createLazy(dtype, input.shape, .{ .scan = params }, &.{converted});
}

pub fn evalScanCpu(params: ScanParams, out: *Array) errors.Error!void {
    try out.allocateOutput();
    axis_ops.runScan(params.op, out, out.inputs[0], params.axis, params.reverse, params.inclusive);
}

// Derivative rules (MLX's Reduce::vjp and Scan::vjp). Cotangents arrive in the output's
// dtype; each rule returns its input's shape and dtype.

/// vjp of a reduction. sum spreads the cotangent over the reduced axes; prod multiplies it by
/// the product of the other elements (two exclusive cumulative products, exact with zeros);
/// min and max share it equally among the elements equal to the result; all and any give no
/// gradient.
pub fn vjp(params: Params, out: *Array, cotangent: *Array) errors.Error!?*Array {
    const input = out.inputs[0];
    if (params.op == .all or params.op == .any) return null;
    var temps: grad_ops.Temps = .{};
    defer temps.release();
    // The cotangent (and output) with the reduced axes kept as size 1.
    const kept = keptShape(input.shape, params.axes_mask);
    const cotangent_kept = try temps.keep(view.createReshape(cotangent, kept));
    const grad = if (params.axes_mask == 0) cotangent_kept else switch (params.op) {
        .sum => try temps.keep(view.createBroadcastTo(cotangent_kept, input.shape)),
        .prod => try temps.keep(vjpProd(input, cotangent_kept, params.axes_mask)),
        .min, .max => blk: {
            const out_kept = try temps.keep(view.createReshape(out, kept));
            const ties = try temps.keep(binary.create(.equal, input, out_kept));
            var axes: [shape_mod.ndim_max]i32 = undefined;
            const reduced = maskAxes(params.axes_mask, &axes);
            const count = try temps.keep(create(.sum, ties, reduced, true));
            const share = try temps.keep(binary.create(.divide, cotangent_kept, count));
            break :blk try temps.keep(binary.create(.multiply, share, ties));
        },
        .all, .any => unreachable,
    };
    return astype.create(grad, input.dtype);
}

/// `shape` with the axes in `axes_mask` set to 1.
fn keptShape(shape: shape_mod.Shape, axes_mask: u32) shape_mod.Shape {
    var kept = shape;
    for (0..shape.ndim) |axis| {
        if (axes_mask & (@as(u32, 1) << @intCast(axis)) != 0) kept.dims[axis] = 1;
    }
    return kept;
}

/// The axes in `axes_mask`, ascending, written to `buffer`.
fn maskAxes(axes_mask: u32, buffer: *[shape_mod.ndim_max]i32) []const i32 {
    var count: usize = 0;
    for (0..shape_mod.ndim_max) |axis| {
        if (axes_mask & (@as(u32, 1) << @intCast(axis)) == 0) continue;
        buffer[count] = @intCast(axis);
        count += 1;
    }
    assert(count > 0);
    return buffer[0..count];
}

/// prod's rule: with one reduced axis, the exclusive products along it; with several, the
/// reduced axes moved last and flattened into one first (MLX's order of operations).
fn vjpProd(input: *Array, cotangent_kept: *Array, axes_mask: u32) errors.Error!*Array {
    assert(axes_mask != 0);
    var temps: grad_ops.Temps = .{};
    defer temps.release();
    if (@popCount(axes_mask) == 1) {
        const axis: u8 = @intCast(@ctz(axes_mask));
        const others = try temps.keep(othersProduct(input, axis));
        return binary.create(.multiply, others, cotangent_kept);
    }
    const ndim = input.shape.ndim;
    var permutation: [shape_mod.ndim_max]i32 = undefined;
    var inverse: [shape_mod.ndim_max]i32 = undefined;
    var flat: shape_mod.Shape = .{};
    var reduced_size: i32 = 1;
    var position: usize = 0;
    for ([_]bool{ false, true }) |reduced_pass| {
        for (0..ndim) |axis| {
            const reduced = axes_mask & (@as(u32, 1) << @intCast(axis)) != 0;
            if (reduced != reduced_pass) continue;
            permutation[position] = @intCast(axis);
            inverse[axis] = @intCast(position);
            position += 1;
            if (reduced) {
                reduced_size *= input.shape.dims[axis];
            } else {
                flat.dims[flat.ndim] = input.shape.dims[axis];
                flat.ndim += 1;
            }
        }
    }
    flat.dims[flat.ndim] = reduced_size;
    flat.ndim += 1;
    var flat_cotangent = flat;
    flat_cotangent.dims[flat.ndim - 1] = 1;
    const moved = try temps.keep(view.createTranspose(input, permutation[0..ndim]));
    const flattened = try temps.keep(view.createReshape(moved, flat));
    const cotangent_flat = try temps.keep(view.createReshape(cotangent_kept, flat_cotangent));
    const others = try temps.keep(othersProduct(flattened, @intCast(flat.ndim - 1)));
    const grad_flat = try temps.keep(binary.create(.multiply, others, cotangent_flat));
    const grad_moved = try temps.keep(view.createReshape(grad_flat, moved.shape));
    return view.createTranspose(grad_moved, inverse[0..ndim]);
}

/// For each element, the product of the others along `axis` (conjugated for complex input).
fn othersProduct(x: *Array, axis: u8) errors.Error!*Array {
    var temps: grad_ops.Temps = .{};
    defer temps.release();
    const before = try temps.keep(createScan(.cumprod, x, axis, false, false));
    const after = try temps.keep(createScan(.cumprod, x, axis, true, false));
    const product = try temps.keep(binary.create(.multiply, before, after));
    if (!product.dtype.isComplex()) {
        product.retain();
        return product;
    }
    return unary.create(.conjugate, product);
}

/// vjp of a scan (MLX's rules): cumsum runs the cotangent's scan the other way; cumprod
/// divides by the input before its first zero and recomputes at that zero; cummax/cummin send
/// each cotangent to the element holding the running extreme (ties: the latest in scan
/// order); logcumsumexp scans the cotangent's positive and negative parts in log space.
pub fn vjpScan(params: ScanParams, out: *Array, cotangent: *Array) errors.Error!*Array {
    const input = out.inputs[0];
    var temps: grad_ops.Temps = .{};
    defer temps.release();
    const grad = switch (params.op) {
        .cumsum => try temps.keep(
            createScan(.cumsum, cotangent, params.axis, !params.reverse, params.inclusive),
        ),
        .cumprod => try temps.keep(vjpCumprod(params, out, cotangent)),
        .cummax, .cummin => try temps.keep(vjpCumExtreme(params, out, cotangent)),
        .logcumsumexp => try temps.keep(vjpLogcumsumexp(params, out, cotangent)),
    };
    return astype.create(grad, input.dtype);
}

/// cumprod: before the first zero of a line, (reverse cumsum of cotangent * output) / input;
/// at the first zero, the same sums with that zero replaced by one; after it, zero.
fn vjpCumprod(params: ScanParams, out: *Array, cotangent: *Array) errors.Error!*Array {
    const input = out.inputs[0];
    const axis = params.axis;
    var temps: grad_ops.Temps = .{};
    defer temps.release();
    const other = try temps.keep(
        createScan(.cumprod, input, axis, params.reverse, !params.inclusive),
    );
    const inclusive = if (params.inclusive) out else other;
    const exclusive = if (params.inclusive) other else out;
    const zero = try temps.keep(grad_ops.scalar(0, input.dtype));
    const one = try temps.keep(grad_ops.scalar(1, input.dtype));
    const is_zero = try temps.keep(binary.create(.equal, inclusive, zero));
    const before_nonzero = try temps.keep(binary.create(.not_equal, exclusive, zero));
    const first_zero = try temps.keep(binary.create(.logical_and, is_zero, before_nonzero));
    const zero_as_one = try temps.keep(ternary.createWhere(first_zero, one, input));
    const product_with_one = try temps.keep(
        createScan(.cumprod, zero_as_one, axis, params.reverse, params.inclusive),
    );
    const grad_with_one = try temps.keep(cumprodPartial(params, product_with_one, cotangent));
    const partial = try temps.keep(cumprodPartial(params, out, cotangent));
    const grad = try temps.keep(binary.create(.divide, partial, input));
    const grad_nonzero = try temps.keep(ternary.createWhere(is_zero, zero, grad));
    return ternary.createWhere(first_zero, grad_with_one, grad_nonzero);
}

/// The cotangent-weighted sums of `products` over the outputs each input reaches.
fn cumprodPartial(params: ScanParams, products: *Array, cotangent: *Array) errors.Error!*Array {
    const weighted = try binary.create(.multiply, products, cotangent);
    defer weighted.release();
    return createScan(.cumsum, weighted, params.axis, !params.reverse, params.inclusive);
}

/// cummax/cummin: the owner of each output (the latest element in scan order equal to the
/// running extreme there) by a running max (min when reversed) over the positions of those
/// elements, then the cotangents added at their owners. An exclusive scan's output i is the
/// inclusive extreme of the element before, so the windows are shifted by one.
fn vjpCumExtreme(params: ScanParams, out: *Array, cotangent: *Array) errors.Error!*Array {
    const input = out.inputs[0];
    const axis = params.axis;
    const n = input.shape.dims[axis];
    // An exclusive scan over at most one element is the constant identity.
    if (!params.inclusive and n <= 1) return grad_ops.zerosLike(input);
    var temps: grad_ops.Temps = .{};
    defer temps.release();
    const shift: i32 = if (params.inclusive) 0 else 1;
    const window = n - shift;
    const input_start: i32 = if (params.reverse) shift else 0;
    const output_start: i32 = if (params.reverse) 0 else shift;
    const input_window = try temps.keep(sliceAxis(input, axis, input_start, window));
    const extreme_window = try temps.keep(sliceAxis(out, axis, output_start, window));
    const cotangent_window = try temps.keep(sliceAxis(cotangent, axis, output_start, window));
    const first: f64 = @floatFromInt(input_start);
    const last: f64 = @floatFromInt(input_start + window);
    const range = try temps.keep(creation.createArange(first, last, 1, .int32));
    var along: shape_mod.Shape = .{ .ndim = input.shape.ndim };
    for (0..along.ndim) |d| along.dims[d] = if (d == axis) window else 1;
    const positions = try temps.keep(view.createReshape(range, along));
    const length: f64 = @floatFromInt(n);
    const none = try temps.keep(grad_ops.scalar(if (params.reverse) length else -1, .int32));
    const holds = try temps.keep(binary.create(.equal, input_window, extreme_window));
    const marked = try temps.keep(ternary.createWhere(holds, positions, none));
    const owner_op: ScanOp = if (params.reverse) .cummin else .cummax;
    const owners_raw = try temps.keep(createScan(owner_op, marked, axis, params.reverse, true));
    // A line whose first elements in scan order are NaN has no owner there (MLX reads out of
    // bounds): they go to the nearest valid position, the line's first.
    const limit = try temps.keep(grad_ops.scalar(if (params.reverse) length - 1 else 0, .int32));
    const clamp: binary.Op = if (params.reverse) .minimum else .maximum;
    const owners = try temps.keep(binary.create(clamp, owners_raw, limit));
    const owners_fixed = try temps.keep(unary.create(.stop_gradient, owners));
    const zeros = try temps.keep(grad_ops.zerosLike(input));
    return grad_ops.scatterAlongAxis(.add, zeros, owners_fixed, cotangent_window, axis);
}

/// `window` elements of `a` along `axis` from `start`.
fn sliceAxis(a: *Array, axis: u8, start: i32, window: i32) errors.Error!*Array {
    const ndim = a.shape.ndim;
    var starts: [shape_mod.ndim_max]i32 = @splat(0);
    var sizes: [shape_mod.ndim_max]i32 = a.shape.dims;
    const steps: [shape_mod.ndim_max]i32 = @splat(1);
    starts[axis] = start;
    sizes[axis] = window;
    return view.createSlice(a, starts[0..ndim], sizes[0..ndim], steps[0..ndim]);
}

/// logcumsumexp: exp(x + logcumsumexp(log|g| - output)) run the other way, for the positive
/// and the negative parts of the cotangent g separately (TensorFlow's stable form, as MLX).
fn vjpLogcumsumexp(params: ScanParams, out: *Array, cotangent: *Array) errors.Error!*Array {
    var temps: grad_ops.Temps = .{};
    defer temps.release();
    const dtype = cotangent.dtype;
    const zero = try temps.keep(grad_ops.scalar(0, dtype));
    const lowest = try temps.keep(grad_ops.scalar(lowestFinite(dtype), dtype));
    const magnitude = try temps.keep(unary.create(.abs, cotangent));
    const log_magnitude = try temps.keep(unary.create(.log, magnitude));
    var parts: [2]*Array = undefined;
    for ([_]binary.Op{ .greater, .less }, 0..) |sign_test, k| {
        const selected = try temps.keep(binary.create(sign_test, cotangent, zero));
        const log_part = try temps.keep(ternary.createWhere(selected, log_magnitude, lowest));
        const relative = try temps.keep(binary.create(.subtract, log_part, out));
        const scanned = try temps.keep(
            createScan(.logcumsumexp, relative, params.axis, !params.reverse, params.inclusive),
        );
        const shifted = try temps.keep(binary.create(.add, scanned, out.inputs[0]));
        parts[k] = try temps.keep(unary.create(.exp, shifted));
    }
    return binary.create(.subtract, parts[0], parts[1]);
}

/// The most negative finite value of a floating dtype (NumPy's finfo(dtype).min).
fn lowestFinite(dtype: dtype_mod.DType) f64 {
    return switch (dtype) {
        .float16 => -std.math.floatMax(f16),
        .bfloat16 => -3.3895313892515355e38,
        .float32, .complex64 => -std.math.floatMax(f32),
        else => -std.math.floatMax(f64),
    };
}
