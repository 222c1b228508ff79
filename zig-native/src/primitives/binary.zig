//! Elementwise binary primitives (add, multiply): NumPy broadcasting, MLX type promotion.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const shape_mod = @import("../shape.zig");
const dtype_mod = @import("../dtype.zig");
const Array = @import("../array.zig").Array;
const astype = @import("astype.zig");
const cpu_binary = @import("../backend/cpu/binary.zig");

pub const Op = cpu_binary.Op;

/// Records `a op b`: promotes both to a common dtype and broadcasts their shapes.
pub fn create(op: Op, a: *Array, b: *Array) errors.Error!*Array {
    const out_shape = try shape_mod.broadcast(@tagName(op), a.shape, b.shape);
    const out_dtype = dtype_mod.promote(a.dtype, b.dtype);
    const a_cast = try astype.create(a, out_dtype);
    defer a_cast.release();
    const b_cast = try astype.create(b, out_dtype);
    defer b_cast.release();
    const primitive: @import("../primitive.zig").Primitive = switch (op) {
        .add => .add,
        .multiply => .multiply,
    };
    return Array.createLazy(out_dtype, out_shape, primitive, &.{ a_cast, b_cast });
}

pub fn evalCpu(op: Op, out: *Array) errors.Error!void {
    assert(out.inputs.len == 2);
    try out.allocateOutput();
    cpu_binary.run(op, out, out.inputs[0], out.inputs[1]);
}
