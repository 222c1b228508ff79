//! The array node: a refcounted record of dtype, shape, and either a buffer view (evaluated)
//! or a primitive with its inputs (lazy). Ops only create nodes; `graph.eval` runs them.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("errors.zig");
const memory = @import("memory.zig");
const shape_mod = @import("shape.zig");
const DType = @import("dtype.zig").DType;
const Storage = @import("dtype.zig").Storage;
const primitive_mod = @import("primitive.zig");
const Primitive = primitive_mod.Primitive;

const Shape = shape_mod.Shape;
const Strides = shape_mod.Strides;

/// How many function transforms (vjp, grad, ...) are tracing now. While any is, evaluated
/// tracer nodes keep their primitive and inputs: the derivative rules read them.
var tracing_depth: std.atomic.Value(u32) = .init(0);

pub fn beginTracing() void {
    _ = tracing_depth.fetchAdd(1, .acq_rel);
}

pub fn endTracing() void {
    const previous = tracing_depth.fetchSub(1, .acq_rel);
    assert(previous > 0);
}

pub fn isTracing() bool {
    return tracing_depth.load(.acquire) > 0;
}

/// How many `compile` traces are open: evaluating a tracer then is an error (the compiled
/// program could not replay a value read during its trace).
var compile_depth: std.atomic.Value(u32) = .init(0);

pub fn beginCompileTrace() void {
    _ = compile_depth.fetchAdd(1, .acq_rel);
}

pub fn endCompileTrace() void {
    const previous = compile_depth.fetchSub(1, .acq_rel);
    assert(previous > 0);
}

pub fn isCompileTracing() bool {
    return compile_depth.load(.acquire) > 0;
}

pub const Array = struct {
    ref_count: std.atomic.Value(u32),
    dtype: DType,
    shape: Shape,
    /// Element strides into `buffer`; meaningful once evaluated.
    strides: Strides,
    /// Element offset of the first element into `buffer`; meaningful once evaluated.
    offset: i64,
    /// Set when evaluated; shared with other views of the same data.
    buffer: ?*memory.Buffer,
    /// What computes this array; `.none` for evaluated arrays.
    primitive: Primitive,
    /// References held on the inputs of `primitive`; empty once evaluated.
    inputs: []*Array,
    /// Marks nodes already visited by the running graph walk (see graph.zig).
    visit_epoch: u32,
    /// Intrusive link used while freeing chains of nodes without recursion.
    next_to_free: ?*Array,
    /// Made from a transform's traced input (directly or through other tracers).
    tracer: bool,

    /// A lazy node computing `primitive` from `inputs` (each gets one more reference; none
    /// for primitives that make data, like arange).
    pub fn createLazy(
        dtype: DType,
        shape: Shape,
        primitive: Primitive,
        inputs: []const *Array,
    ) errors.Error!*Array {
        assert(primitive != .none);
        const self = try createNode(dtype, shape);
        errdefer memory.allocator.destroy(self);
        self.inputs = memory.allocator.dupe(*Array, inputs) catch
            return memory.outOfMemory(inputs.len * @sizeOf(*Array));
        self.primitive = primitive;
        primitive_mod.retainResources(primitive);
        for (inputs) |input| {
            input.retain();
            self.tracer = self.tracer or input.tracer;
        }
        return self;
    }

    /// An evaluated array holding a copy of `bytes` (row-major, `dtype`, `shape`).
    pub fn createFromBytes(dtype: DType, shape: Shape, bytes: []const u8) errors.Error!*Array {
        const size_bytes = @as(usize, @intCast(shape.size())) * dtype.sizeBytes();
        assert(bytes.len == size_bytes);
        const self = try createNode(dtype, shape);
        errdefer memory.allocator.destroy(self);
        try self.allocateOutput();
        @memcpy(self.buffer.?.bytes, bytes);
        if (dtype == .bool_) {
            for (self.buffer.?.bytes) |*byte| byte.* = @intFromBool(byte.* != 0);
        }
        return self;
    }

    /// An evaluated array whose (row-major) buffer the caller fills before anyone reads it.
    pub fn createUninitialized(dtype: DType, shape: Shape) errors.Error!*Array {
        const self = try createNode(dtype, shape);
        errdefer memory.allocator.destroy(self);
        try self.allocateOutput();
        return self;
    }

    fn createNode(dtype: DType, shape: Shape) errors.Error!*Array {
        const self = memory.allocator.create(Array) catch
            return memory.outOfMemory(@sizeOf(Array));
        self.* = .{
            .ref_count = .init(1),
            .dtype = dtype,
            .shape = shape,
            .strides = shape_mod.rowMajorStrides(shape),
            .offset = 0,
            .buffer = null,
            .primitive = .none,
            .inputs = &.{},
            .visit_epoch = 0,
            .next_to_free = null,
            .tracer = false,
        };
        return self;
    }

    pub fn retain(self: *Array) void {
        const previous = self.ref_count.fetchAdd(1, .monotonic);
        assert(previous > 0);
    }

    /// Drops one reference; frees the node, and any inputs it held last, iteratively.
    pub fn release(self: *Array) void {
        const previous = self.ref_count.fetchSub(1, .acq_rel);
        assert(previous > 0);
        if (previous != 1) return;
        var pending: ?*Array = self;
        while (pending) |node| {
            pending = node.next_to_free;
            for (node.inputs) |input| {
                if (input.ref_count.fetchSub(1, .acq_rel) == 1) {
                    input.next_to_free = pending;
                    pending = input;
                }
            }
            node.destroyNode();
        }
    }

    fn destroyNode(self: *Array) void {
        primitive_mod.releaseResources(self.primitive);
        if (self.inputs.len > 0) memory.allocator.free(self.inputs);
        if (self.buffer) |buffer| buffer.release();
        memory.allocator.destroy(self);
    }

    /// A tracer of a running transform: evaluation keeps its graph (see `detach`).
    pub fn isTracer(self: *const Array) bool {
        return self.tracer and isTracing();
    }

    pub fn isEvaluated(self: *const Array) bool {
        return self.buffer != null;
    }

    /// Gives this (lazy) node a fresh row-major buffer to be written by a kernel.
    pub fn allocateOutput(self: *Array) errors.Error!void {
        assert(self.buffer == null);
        const size_bytes = @as(usize, @intCast(self.shape.size())) * self.dtype.sizeBytes();
        self.buffer = try memory.Buffer.create(size_bytes);
        self.strides = shape_mod.rowMajorStrides(self.shape);
        self.offset = 0;
    }

    /// Gives this (lazy) node the buffer of one of its inputs when that input is used by
    /// nothing else (no handle, no other node, no view of its buffer) and has this node's
    /// shape and element size, row-contiguous: elementwise kernels then write in place.
    /// Otherwise allocates as `allocateOutput` does.
    pub fn allocateOutputDonated(self: *Array) errors.Error!void {
        assert(self.buffer == null);
        for (self.inputs) |input| {
            if (!input.canDonateTo(self)) continue;
            // Shared until this node detaches and frees the input, then this node's alone.
            input.buffer.?.retain();
            self.buffer = input.buffer;
            self.strides = shape_mod.rowMajorStrides(self.shape);
            self.offset = 0;
            return;
        }
        try self.allocateOutput();
    }

    /// `allocateOutputDonated` with `inputs[index]` as the only candidate (for kernels that
    /// read their other inputs after writing); true when that input's buffer was taken.
    pub fn allocateOutputDonatedFrom(self: *Array, index: usize) errors.Error!bool {
        assert(self.buffer == null);
        const input = self.inputs[index];
        if (input.canDonateTo(self)) {
            input.buffer.?.retain();
            self.buffer = input.buffer;
            self.strides = shape_mod.rowMajorStrides(self.shape);
            self.offset = 0;
            return true;
        }
        try self.allocateOutput();
        return false;
    }

    fn canDonateTo(self: *const Array, out: *const Array) bool {
        const buffer = self.buffer orelse return false;
        // A transform's derivative rules may still read a tracer's inputs.
        if (self.isTracer() or out.isTracer()) return false;
        if (self.ref_count.load(.acquire) != 1 or buffer.ref_count.load(.acquire) != 1) return false;
        // The same node may appear twice among the inputs (x * x): then it is still read.
        var uses: usize = 0;
        for (out.inputs) |input| uses += @intFromBool(input == self);
        if (uses != 1) return false;
        return self.offset == 0 and self.dtype.sizeBytes() == out.dtype.sizeBytes() and
            self.shape.eql(out.shape) and self.isRowContiguous();
    }

    /// Undoes `allocateOutput` (or a shared view buffer) after a failed kernel.
    pub fn discardOutput(self: *Array) void {
        assert(self.primitive != .none);
        if (self.buffer) |buffer| buffer.release();
        self.buffer = null;
        self.offset = 0;
        self.strides = shape_mod.rowMajorStrides(self.shape);
    }

    /// Drops the primitive and the references on inputs once the node is evaluated, so the
    /// graph behind it can be freed.
    pub fn detach(self: *Array) void {
        assert(self.isEvaluated());
        const inputs = self.inputs;
        self.inputs = &.{};
        primitive_mod.releaseResources(self.primitive);
        self.primitive = .none;
        for (inputs) |input| input.release();
        if (inputs.len > 0) memory.allocator.free(inputs);
    }

    /// True when the elements sit in row-major order with no gaps from `offset` on.
    pub fn isRowContiguous(self: *const Array) bool {
        assert(self.isEvaluated());
        var expected: i64 = 1;
        var axis: usize = self.shape.ndim;
        while (axis > 0) {
            axis -= 1;
            const dim = self.shape.dims[axis];
            if (dim == 1) continue;
            if (self.strides[axis] != expected) return false;
            expected *= dim;
        }
        return true;
    }

    pub fn sizeBytes(self: *const Array) usize {
        return @as(usize, @intCast(self.shape.size())) * self.dtype.sizeBytes();
    }

    /// Pointer to the start of the buffer as `T` (elements begin `offset` further); the
    /// array must be evaluated. Kernels index from here with absolute offsets, so views with
    /// negative strides work.
    pub fn basePtr(self: *const Array, comptime T: type) [*]T {
        const buffer = self.buffer.?;
        return @ptrCast(@alignCast(buffer.bytes.ptr));
    }

    /// Pointer to the first element as `T`, for row-contiguous arrays.
    pub fn dataPtr(self: *const Array, comptime T: type) [*]T {
        return self.basePtr(T) + @as(usize, @intCast(self.offset));
    }

    /// The bytes of an evaluated row-contiguous array.
    pub fn contiguousBytes(self: *const Array) []u8 {
        assert(self.isRowContiguous());
        const start = @as(usize, @intCast(self.offset)) * self.dtype.sizeBytes();
        return self.buffer.?.bytes[start..][0..self.sizeBytes()];
    }
};

test "release frees a chain of nodes without recursion" {
    const before = memory.activeBytes();
    const shape = try Shape.init(&.{2});
    const leaf = try Array.createFromBytes(.float32, shape, std.mem.asBytes(&[_]f32{ 1, 2 }));
    var top = leaf;
    for (0..100_000) |_| {
        const next = try Array.createLazy(.float32, shape, .{ .binary = .add }, &.{ top, top });
        top.release();
        top = next;
    }
    top.release();
    try std.testing.expectEqual(before, memory.activeBytes());
}
