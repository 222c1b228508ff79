//! Small lazy compositions the derivative rules share: scalars, zeros, summing a cotangent
//! back to a broadcast input's shape, swapping the last two axes, writing along an axis, and
//! `Temps` (a rule's intermediate references, released together). Each function returns a
//! new reference the caller releases.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const shape_mod = @import("../shape.zig");
const DType = @import("../dtype.zig").DType;
const Array = @import("../array.zig").Array;
const astype = @import("../primitives/astype.zig");
const binary = @import("../primitives/binary.zig");
const unary = @import("../primitives/unary.zig");
const reduce = @import("../primitives/reduce.zig");
const view = @import("../primitives/view.zig");
const creation = @import("../primitives/creation.zig");
const indexing = @import("../primitives/indexing.zig");

const Shape = shape_mod.Shape;

/// A 0-d array holding `value` in `dtype`.
pub fn scalar(value: f64, dtype: DType) errors.Error!*Array {
    const wide = try Array.createFromBytes(.float64, .{}, std.mem.asBytes(&value));
    defer wide.release();
    return astype.create(wide, dtype);
}

/// Zeros of `dtype` and `shape` (a broadcast scalar).
pub fn zeros(dtype: DType, shape: Shape) errors.Error!*Array {
    const zero = try scalar(0, dtype);
    defer zero.release();
    return view.createBroadcastTo(zero, shape);
}

/// Zeros with the shape and dtype of `like` (a broadcast scalar: no buffer of that size).
pub fn zerosLike(like: *const Array) errors.Error!*Array {
    const zero = try scalar(0, like.dtype);
    defer zero.release();
    return view.createBroadcastTo(zero, like.shape);
}

pub fn mul(a: *Array, b: *Array) errors.Error!*Array {
    return binary.create(.multiply, a, b);
}

/// `a * value` in `a`'s dtype.
pub fn scale(a: *Array, value: f64) errors.Error!*Array {
    const factor = try scalar(value, a.dtype);
    defer factor.release();
    return binary.create(.multiply, a, factor);
}

pub fn negate(a: *Array) errors.Error!*Array {
    return unary.create(.negative, a);
}

/// `a + value` in `a`'s dtype.
pub fn addScalar(a: *Array, value: f64) errors.Error!*Array {
    const constant = try scalar(value, a.dtype);
    defer constant.release();
    return binary.create(.add, a, constant);
}

/// `value - a` in `a`'s dtype.
pub fn scalarMinus(value: f64, a: *Array) errors.Error!*Array {
    const constant = try scalar(value, a.dtype);
    defer constant.release();
    return binary.create(.subtract, constant, a);
}

/// The complex conjugate of `a`; `a` itself (a new reference, no node) for real dtypes. The
/// rules conjugate derivatives as MLX does: for complex input the cotangent of `x` is the
/// output's cotangent times conj(f'(x)).
pub fn conjugate(a: *Array) errors.Error!*Array {
    if (!a.dtype.isComplex()) {
        a.retain();
        return a;
    }
    return unary.create(.conjugate, a);
}

// Variants that consume (release) their `owned` argument, so rules nest without naming
// every temporary: `mulTake(ct, try unary.create(.cos, x))`.

pub fn unaryTake(op: unary.Op, owned: *Array) errors.Error!*Array {
    defer owned.release();
    return unary.create(op, owned);
}

pub fn binaryTake(op: binary.Op, a: *Array, owned: *Array) errors.Error!*Array {
    defer owned.release();
    return binary.create(op, a, owned);
}

pub fn mulTake(a: *Array, owned: *Array) errors.Error!*Array {
    return binaryTake(.multiply, a, owned);
}

pub fn divideTake(a: *Array, owned: *Array) errors.Error!*Array {
    return binaryTake(.divide, a, owned);
}

pub fn negateTake(owned: *Array) errors.Error!*Array {
    return unaryTake(.negative, owned);
}

pub fn conjugateTake(owned: *Array) errors.Error!*Array {
    defer owned.release();
    return conjugate(owned);
}

pub fn scaleTake(owned: *Array, value: f64) errors.Error!*Array {
    defer owned.release();
    return scale(owned, value);
}

pub fn addScalarTake(owned: *Array, value: f64) errors.Error!*Array {
    defer owned.release();
    return addScalar(owned, value);
}

/// `value - owned`.
pub fn scalarMinusTake(value: f64, owned: *Array) errors.Error!*Array {
    defer owned.release();
    return scalarMinus(value, owned);
}

/// Sums `cotangent` (the shape of a broadcast result) down to `target`, the shape of the input
/// that was broadcast: over the leading axes `target` lacks and the axes where it has size 1.
pub fn unbroadcast(cotangent: *Array, target: Shape) errors.Error!*Array {
    if (cotangent.shape.eql(target)) {
        cotangent.retain();
        return cotangent;
    }
    const ndim = cotangent.shape.ndim;
    assert(ndim >= target.ndim);
    const lead = ndim - target.ndim;
    var axes: [shape_mod.ndim_max]i32 = undefined;
    var count: usize = 0;
    for (0..ndim) |axis| {
        const keep = axis >= lead and target.dims[axis - lead] == cotangent.shape.dims[axis];
        if (!keep) {
            axes[count] = @intCast(axis);
            count += 1;
        }
    }
    const summed = if (count == 0) blk: {
        cotangent.retain();
        break :blk cotangent;
    } else try reduce.create(.sum, cotangent, axes[0..count], true);
    defer summed.release();
    const cast = try astype.create(summed, cotangent.dtype);
    defer cast.release();
    return view.createReshape(cast, target);
}

/// `a` with its last two axes swapped.
pub fn swapLastTwo(a: *Array) errors.Error!*Array {
    const ndim = a.shape.ndim;
    assert(ndim >= 2);
    var axes: [shape_mod.ndim_max]i32 = undefined;
    for (0..ndim) |axis| axes[axis] = @intCast(axis);
    axes[ndim - 2] = @intCast(ndim - 1);
    axes[ndim - 1] = @intCast(ndim - 2);
    return view.createTranspose(a, axes[0..ndim]);
}

/// The intermediate arrays of a derivative rule, released together when it returns:
/// `var temps: Temps = .{}; defer temps.release(); const m = try temps.keep(op(...));`.
pub const Temps = struct {
    pub const count_max = 32;

    items: [count_max]*Array = undefined,
    count: usize = 0,

    /// Takes the reference `made` returns and hands it back, borrowed until `release`.
    pub fn keep(self: *Temps, made: errors.Error!*Array) errors.Error!*Array {
        const array = try made;
        assert(self.count < count_max);
        self.items[self.count] = array;
        self.count += 1;
        return array;
    }

    pub fn release(self: *Temps) void {
        for (self.items[0..self.count]) |array| array.release();
        self.count = 0;
    }
};

/// `base` with `updates` written (`op` .assign) or combined (.add, ...) at `indices` along
/// `axis` (MLX's put_along_axis / scatter_add_axis): `indices` has `base`'s number of axes
/// and, with `updates`, the shape of the positions written; the other axes index themselves.
pub fn scatterAlongAxis(
    op: indexing.ScatterOp,
    base: *Array,
    indices: *Array,
    updates: *Array,
    axis: u8,
) errors.Error!*Array {
    const ndim = base.shape.ndim;
    assert(indices.shape.ndim == ndim);
    assert(axis < ndim);
    var temps: Temps = .{};
    defer temps.release();
    var per_axis: [shape_mod.ndim_max]*Array = undefined;
    for (0..ndim) |d| {
        if (d == axis) {
            per_axis[d] = indices;
            continue;
        }
        const dim = indices.shape.dims[d];
        const range = try temps.keep(creation.createArange(0, @floatFromInt(dim), 1, .int64));
        var along: Shape = .{ .ndim = ndim };
        for (0..ndim) |k| along.dims[k] = if (k == d) dim else 1;
        per_axis[d] = try temps.keep(view.createReshape(range, along));
    }
    return indexing.createScatter(op, base, per_axis[0..ndim], updates);
}
