//! Sorting along one axis: sort, argsort, partition and argpartition (one primitive, `sort`,
//! whose mode picks values or positions, full order or selection), and topk (a partition,
//! then a slice of the last k along the axis).

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const shape_mod = @import("../shape.zig");
const Array = @import("../array.zig").Array;
const view = @import("view.zig");
const unary = @import("unary.zig");
const grad_ops = @import("../transforms/grad_ops.zig");
const cpu_sort = @import("../backend/cpu/sort.zig");

/// The order is the ABI's op code.
pub const Op = enum(u8) { sort, argsort, partition, argpartition, topk };

pub const Mode = cpu_sort.Mode;

pub const Params = struct {
    mode: Mode,
    axis: u8,
    /// The position to select along the axis (partition modes; 0 otherwise).
    kth: u32,
};

/// Records `op` of `input` along `axis` (negative counts from the end). `kth` is the
/// partition position (negative counts from the end) or topk's k; sort and argsort ignore it.
pub fn create(op: Op, input: *Array, axis: i32, kth: i32) errors.Error!*Array {
    const name = @tagName(op);
    const resolved = try shape_mod.normalizeAxis(name, axis, input.shape);
    const mode: Mode = switch (op) {
        .topk => return createTopk(input, resolved, axis, kth),
        inline else => |tag| @field(Mode, @tagName(tag)),
    };
    const length = input.shape.dims[resolved];
    if (!mode.selects()) return record(mode, input, resolved, 0);
    return record(mode, input, resolved, try kthPosition(name, kth, axis, length, input.shape));
}

fn record(mode: Mode, input: *Array, axis: u8, kth: u32) errors.Error!*Array {
    assert(axis < input.shape.ndim);
    assert(!mode.selects() or kth < input.shape.dims[axis]);
    const dtype = if (mode.indices()) .uint32 else input.dtype;
    const params: Params = .{ .mode = mode, .axis = axis, .kth = kth };
    return Array.createLazy(dtype, input.shape, .{ .sort = params }, &.{input});
}

/// `kth` resolved against an axis of `length` elements: it must name one of them.
fn kthPosition(
    name: []const u8,
    kth: i32,
    axis: i32,
    length: i32,
    shape: shape_mod.Shape,
) errors.Error!u32 {
    const position: i64 = if (kth < 0) @as(i64, kth) + length else kth;
    if (position < 0 or position >= length) {
        return errors.fail(error.InvalidArgument, "[{s}] invalid kth {d} along axis {d} of " ++
            "size {d} (shape {f}); kth must be in [-{d}, {d})", .{
            name, kth, axis, length, shape, length, length,
        });
    }
    return @intCast(position);
}

/// The `k` largest elements along `axis`: a partition at `length - k`, then its last `k` (all
/// of them: the input itself).
fn createTopk(input: *Array, axis: u8, axis_given: i32, k: i32) errors.Error!*Array {
    const length = input.shape.dims[axis];
    if (k < 0 or k > length) {
        return errors.fail(error.InvalidArgument, "[topk] invalid k {d} along axis {d} of size " ++
            "{d} (shape {f}); k must be in [0, {d}]", .{
            k, axis_given, length, input.shape, length,
        });
    }
    const ndim = input.shape.ndim;
    var starts: [shape_mod.ndim_max]i32 = @splat(0);
    var sizes: [shape_mod.ndim_max]i32 = input.shape.dims;
    const steps: [shape_mod.ndim_max]i32 = @splat(1);
    starts[axis] = length - k;
    sizes[axis] = k;
    if (k == 0) return view.createSlice(input, starts[0..ndim], sizes[0..ndim], steps[0..ndim]);
    if (k == length) {
        // The whole axis: the input as it is (MLX returns it unpartitioned too).
        input.retain();
        return input;
    }
    const partitioned = try record(.partition, input, axis, @intCast(length - k));
    defer partitioned.release();
    return view.createSlice(partitioned, starts[0..ndim], sizes[0..ndim], steps[0..ndim]);
}

pub fn evalCpu(params: Params, out: *Array) errors.Error!void {
    assert(out.inputs.len == 1);
    try out.allocateOutput();
    errdefer {
        // A failed kernel leaves the node lazy (no half-written buffer passes for a result).
        out.buffer.?.release();
        out.buffer = null;
    }
    try cpu_sort.run(params.mode, out, out.inputs[0], params.axis, params.kth);
}

/// vjp of sort and partition (MLX's rule): the cotangent written back through the
/// permutation, found again by argsort/argpartition of the input (the same order, ties
/// included). The positions are constant in the input: argsort and argpartition give no
/// gradient.
pub fn vjp(params: Params, out: *Array, cotangent: *Array) errors.Error!?*Array {
    if (params.mode.indices()) return null;
    const input = out.inputs[0];
    var temps: grad_ops.Temps = .{};
    defer temps.release();
    const position_mode: Mode = if (params.mode.selects()) .argpartition else .argsort;
    const positions = try temps.keep(record(position_mode, input, params.axis, params.kth));
    const fixed = try temps.keep(unary.create(.stop_gradient, positions));
    const zeros = try temps.keep(grad_ops.zerosLike(input));
    return try grad_ops.scatterAlongAxis(.assign, zeros, fixed, cotangent, params.axis);
}
