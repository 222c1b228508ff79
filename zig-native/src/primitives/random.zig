//! random_bits: MLX's `RandomBits` primitive. From a uint32 key array of shape (K..., 2) it
//! makes an array of shape (K..., shape...) of random uint8/uint16/uint32 (width 1/2/4
//! bytes); each key fills its own block with Threefry-2x32 output (backend/cpu/threefry.zig).
//! The public `bits` takes one key (shape [2]); batched keys are what a vmap over keys makes.
//! Keys, splits and the distributions are composed in TypeScript (src/random.ts).

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const memory = @import("../memory.zig");
const shape_mod = @import("../shape.zig");
const dtype_mod = @import("../dtype.zig");
const Array = @import("../array.zig").Array;
const threefry = @import("../backend/cpu/threefry.zig");

pub const Params = struct {
    /// Bytes per output element: 1, 2 or 4.
    width_bytes: u8,
};

/// Records `shape`-shaped random bits of `width_bytes` bytes each under `key` (shape (K..., 2),
/// uint32); the result has shape (K..., shape...).
pub fn create(key: *Array, shape: shape_mod.Shape, width_bytes: u32) errors.Error!*Array {
    const dtype: dtype_mod.DType = switch (width_bytes) {
        1 => .uint8,
        2 => .uint16,
        4 => .uint32,
        else => return errors.fail(error.InvalidArgument, "[bits] Bit width must be in " ++
            "{{1, 2, 4}} but got {d}.", .{width_bytes}),
    };
    if (key.dtype != .uint32) {
        return errors.fail(error.DTypeMismatch, "[bits] Expected key type uint32 but " ++
            "received {s}.", .{key.dtype.name()});
    }
    const key_ndim = key.shape.ndim;
    if (key_ndim == 0 or key.shape.dims[key_ndim - 1] != 2) {
        return errors.fail(error.ShapeMismatch, "[bits] Expected key shape (..., 2) but " ++
            "received {f}.", .{key.shape});
    }
    const batch_ndim = key_ndim - 1;
    if (batch_ndim + shape.ndim > shape_mod.ndim_max) {
        return errors.fail(error.LimitExceeded, "[bits] key batch {f} and shape {f} exceed {d} " ++
            "dimensions", .{ key.shape, shape, shape_mod.ndim_max });
    }
    var dims: [shape_mod.ndim_max]i32 = undefined;
    @memcpy(dims[0..batch_ndim], key.shape.dims[0..batch_ndim]);
    @memcpy(dims[batch_ndim..][0..shape.ndim], shape.slice());
    const out_shape = try shape_mod.Shape.init(dims[0 .. batch_ndim + shape.ndim]);
    return Array.createLazy(dtype, out_shape, .{ .random_bits = .{
        .width_bytes = @intCast(width_bytes),
    } }, &.{key});
}

/// Gathers the keys (any strides) into a contiguous list, then runs the Threefry kernel.
pub fn evalCpu(params: Params, out: *Array) errors.Error!void {
    assert(out.inputs.len == 1);
    assert(out.dtype.sizeBytes() == params.width_bytes);
    try out.allocateOutput();
    errdefer out.discardOutput();
    const key = out.inputs[0];
    assert(key.dtype == .uint32);
    const key_words: usize = @intCast(key.shape.size());
    const key_count = key_words / 2;
    if (key_count == 0) return;
    const keys = memory.allocator.alloc(u32, key_words) catch
        return memory.outOfMemory(key_words * @sizeOf(u32));
    defer memory.allocator.free(keys);
    gatherKeys(key, keys);
    const out_bytes = out.buffer.?.bytes[0..out.sizeBytes()];
    threefry.run(&.{
        .keys = keys,
        .out = out_bytes,
        .bytes_per_key = out_bytes.len / key_count,
    });
}

/// Copies the elements of `key` in row-major order (it may be a strided view).
fn gatherKeys(key: *const Array, keys: []u32) void {
    const base = key.basePtr(u32);
    var index: [shape_mod.ndim_max]i32 = @splat(0);
    var offset: i64 = key.offset;
    for (keys) |*slot| {
        slot.* = base[@intCast(offset)];
        var axis: usize = key.shape.ndim;
        while (axis > 0) {
            axis -= 1;
            index[axis] += 1;
            offset += key.strides[axis];
            if (index[axis] < key.shape.dims[axis]) break;
            offset -= key.strides[axis] * key.shape.dims[axis];
            index[axis] = 0;
        }
    }
}

const graph = @import("../graph.zig");
const view = @import("view.zig");

test "random_bits splits key(0) as MLX does, batched and transposed keys" {
    const key_shape = try shape_mod.Shape.init(&.{2});
    const zeros = [_]u32{ 0, 0 };
    const key = try Array.createFromBytes(.uint32, key_shape, std.mem.sliceAsBytes(&zeros));
    defer key.release();
    const split = try create(key, try shape_mod.Shape.init(&.{ 2, 2 }), 4);
    defer split.release();
    try graph.eval(&.{split});
    const want = [_]u32{ 4146024105, 967050713, 2718843009, 1272950319 };
    try std.testing.expectEqualSlices(u32, &want, split.dataPtr(u32)[0..4]);

    // Keys as the columns of a [2, 2] array: the transposed view gives keys (0,0) and (1,1).
    const columns = try Array.createFromBytes(.uint32, try shape_mod.Shape.init(&.{ 2, 2 }),
        std.mem.sliceAsBytes(&[_]u32{ 0, 1, 0, 1 }));
    defer columns.release();
    const keys = try view.createTranspose(columns, &.{});
    defer keys.release();
    const batched = try create(keys, try shape_mod.Shape.init(&.{ 2, 2 }), 4);
    defer batched.release();
    try graph.eval(&.{batched});
    try std.testing.expectEqualSlices(i32, &.{ 2, 2, 2 }, batched.shape.slice());
    try std.testing.expectEqualSlices(u32, &want, batched.dataPtr(u32)[0..4]);
}

test "random_bits rejects bad widths, key dtypes and key shapes" {
    const bad_shape = try Array.createFromBytes(.uint32, try shape_mod.Shape.init(&.{3}),
        std.mem.sliceAsBytes(&[_]u32{ 0, 0, 0 }));
    defer bad_shape.release();
    const shape = try shape_mod.Shape.init(&.{4});
    try std.testing.expectError(error.ShapeMismatch, create(bad_shape, shape, 4));
    try std.testing.expectEqualStrings("[bits] Expected key shape (..., 2) but received [3].",
        errors.message());
    try std.testing.expectError(error.InvalidArgument, create(bad_shape, shape, 3));
    try std.testing.expectEqualStrings("[bits] Bit width must be in {1, 2, 4} but got 3.",
        errors.message());
    const int_key = try Array.createFromBytes(.int32, try shape_mod.Shape.init(&.{2}),
        std.mem.sliceAsBytes(&[_]i32{ 0, 0 }));
    defer int_key.release();
    try std.testing.expectError(error.DTypeMismatch, create(int_key, shape, 4));
}
