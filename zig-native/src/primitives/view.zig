//! View primitives: outputs that share their input's buffer with new shape/strides/offset,
//! computing nothing. (transpose; more views join here: slices, broadcasts, reshapes.)

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const shape_mod = @import("../shape.zig");
const Array = @import("../array.zig").Array;

pub const Permutation = struct {
    /// Output axis i is input axis axes[i].
    axes: [shape_mod.ndim_max]u8,
};

/// Records `input` with its axes permuted; `axes` empty reverses them (MLX's default).
pub fn createTranspose(input: *Array, axes: []const i32) errors.Error!*Array {
    const ndim = input.shape.ndim;
    var permutation: Permutation = .{ .axes = @splat(0) };
    if (axes.len == 0) {
        for (0..ndim) |i| permutation.axes[i] = @intCast(ndim - 1 - i);
    } else {
        if (axes.len != ndim) {
            return errors.fail(error.InvalidArgument, "[transpose] {d} axes given for an array " ++
                "of shape {f}", .{ axes.len, input.shape });
        }
        var seen: u32 = 0;
        for (axes, 0..) |axis, i| {
            const resolved = try shape_mod.normalizeAxis("transpose", axis, input.shape);
            const bit = @as(u32, 1) << @intCast(resolved);
            if (seen & bit != 0) {
                return errors.fail(error.InvalidArgument, "[transpose] axis {d} is repeated", .{axis});
            }
            seen |= bit;
            permutation.axes[i] = resolved;
        }
    }
    var out_shape: shape_mod.Shape = .{ .ndim = ndim };
    for (0..ndim) |i| out_shape.dims[i] = input.shape.dims[permutation.axes[i]];
    return Array.createLazy(input.dtype, out_shape, .{ .transpose = permutation }, &.{input});
}

pub fn evalTranspose(permutation: Permutation, out: *Array) void {
    const input = out.inputs[0];
    assert(input.isEvaluated());
    shareBuffer(out, input);
    for (0..out.shape.ndim) |i| out.strides[i] = input.strides[permutation.axes[i]];
}

fn shareBuffer(out: *Array, input: *const Array) void {
    assert(out.buffer == null);
    const buffer = input.buffer.?;
    buffer.retain();
    out.buffer = buffer;
    out.offset = input.offset;
}
