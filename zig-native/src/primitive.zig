//! The primitives: what a lazy node computes. Each primitive family keeps its rules in one
//! file under `primitives/` (validation, output shape and dtype, CPU dispatch; the derivative
//! rules join them there). This file is the tagged union and the dispatch table.

const std = @import("std");
const errors = @import("errors.zig");
const Array = @import("array.zig").Array;
const binary = @import("primitives/binary.zig");
const reduce = @import("primitives/reduce.zig");
const astype = @import("primitives/astype.zig");

pub const Primitive = union(enum) {
    /// Not computed by a primitive: a leaf, or a node already evaluated and detached.
    none,
    astype,
    add,
    multiply,
    sum: reduce.Params,

    pub fn name(self: Primitive) []const u8 {
        return @tagName(self);
    }
};

/// Runs the CPU kernel of `out.primitive`; `out` has no buffer yet and its inputs are
/// evaluated.
pub fn evalCpu(out: *Array) errors.Error!void {
    switch (out.primitive) {
        .none => unreachable,
        .astype => try astype.evalCpu(out),
        .add => try binary.evalCpu(.add, out),
        .multiply => try binary.evalCpu(.multiply, out),
        .sum => |params| try reduce.evalCpu(.sum, params, out),
    }
}
