//! The fused elementwise primitive: a float32 program of unary and binary ops over its inputs
//! (made by `compile`, see transforms/compile.zig and backend/cpu/fused.zig).

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const Array = @import("../array.zig").Array;
const fused = @import("../backend/cpu/fused.zig");

pub const Program = fused.Program;

pub fn evalCpu(program: *const Program, out: *Array) errors.Error!void {
    assert(out.inputs.len == program.input_count);
    try out.allocateOutput();
    fused.run(program, out);
}
