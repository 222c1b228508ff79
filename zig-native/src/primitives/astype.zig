//! astype: converts elements to another dtype (a no-op reference when it already has it);
//! copy: the same elements, row-major.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const DType = @import("../dtype.zig").DType;
const Array = @import("../array.zig").Array;
const cpu_copy = @import("../backend/cpu/copy.zig");

/// Records `input` converted to `dtype`. Returns a new reference to `input` itself when the
/// dtype already matches.
pub fn create(input: *Array, dtype: DType) errors.Error!*Array {
    if (input.dtype == dtype) {
        input.retain();
        return input;
    }
    return Array.createLazy(dtype, input.shape, .astype, &.{input});
}

/// Records a row-major copy of `input` (for reading views out as contiguous bytes).
pub fn createCopy(input: *Array) errors.Error!*Array {
    return Array.createLazy(input.dtype, input.shape, .copy, &.{input});
}

pub fn evalCpu(out: *Array) errors.Error!void {
    assert(out.inputs.len == 1);
    try out.allocateOutput();
    cpu_copy.run(out, out.inputs[0]);
}

/// For kernels reading an evaluated `input` row-major: `input` itself (one more reference)
/// when row-contiguous, else a row-major copy.
pub fn rowMajor(input: *Array) errors.Error!*Array {
    if (input.isRowContiguous()) {
        input.retain();
        return input;
    }
    const copy = try Array.createUninitialized(input.dtype, input.shape);
    cpu_copy.run(copy, input);
    return copy;
}

/// vjp of astype and copy: the cotangent in the input's dtype.
pub fn vjp(out: *Array, cotangent: *Array) errors.Error!*Array {
    return create(cotangent, out.inputs[0].dtype);
}
