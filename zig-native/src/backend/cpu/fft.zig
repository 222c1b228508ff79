//! FFT passes: one 1-D transform along one axis of a strided operand, written to another (or
//! the same) strided operand. Multi-axis transforms are a sequence of passes (see
//! primitives/fft.zig). Lines along the axis are split across the thread pool; each chunk of
//! lines allocates one scratch buffer (the line plus the plan's work space) and reuses it for
//! every line. Three kinds: complex to complex (forward or inverse), real to complex (forward,
//! keeps the n/2 + 1 non-negative frequencies) and complex to real (inverse, from n/2 + 1
//! frequencies; the imaginary parts of the zero and Nyquist terms are ignored, as in
//! pocketfft and NumPy). Real transforms of even length run as complex transforms of half
//! the length (fft_real.zig); odd lengths as full complex ones. Inverses are scaled by 1/n.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../../errors.zig");
const memory = @import("../../memory.zig");
const shape_mod = @import("../../shape.zig");
const dtype_mod = @import("../../dtype.zig");
const pool = @import("pool.zig");
const strided = @import("strided.zig");
const simd = @import("simd.zig");
const Lines = @import("lines.zig").Lines;
const fft_plan = @import("fft_plan.zig");
const fft_real = @import("fft_real.zig");

const C32 = fft_plan.Complex(f32);
const Plan = fft_plan.Plan(f32);

comptime {
    assert(@sizeOf(C32) == @sizeOf(dtype_mod.Complex64));
}

pub const Kind = enum { c2c, r2c, c2r };

/// A strided operand: element strides and offset from `base` (f32 for the real side of r2c
/// and c2r, complex64 otherwise).
pub const Operand = struct {
    base: [*]u8,
    strides: shape_mod.Strides,
    offset: i64,
};

pub const Pass = struct {
    kind: Kind,
    /// Complex-to-complex direction; r2c is always forward and c2r always inverse.
    inverse: bool,
    /// The source's shape; the target has the same shape except along `axis`.
    shape: shape_mod.Shape,
    axis: u8,
    /// The transform length n (for c2r, the target's length along the axis).
    length: usize,
    source: Operand,
    target: Operand,
};

fn Kernel(comptime kind: Kind) type {
    const Source = if (kind == .r2c) f32 else C32;
    const Target = if (kind == .c2r) f32 else C32;
    return struct {
        const Self = @This();

        lines: Lines,
        plan: *const Plan,
        source: [*]Source,
        target: [*]Target,
        inverse: bool,
        /// 1/n, applied by inverse transforms.
        scale: f32,
        /// For an even-length real transform run at half length: w^k, k <= n/2 (see
        /// fft_real.zig); empty otherwise.
        real_table: []const C32,
        /// Set by a chunk whose scratch buffer could not be allocated.
        failed: *std.atomic.Value(bool),

        fn halved(self: *const Self) bool {
            return self.real_table.len > 0;
        }

        /// Scratch per chunk: the plan's data and work, and for a halved c2r the input line.
        fn scratchLength(self: *const Self) usize {
            const base = self.plan.length + self.plan.workLength();
            if (kind != .c2r or !self.halved()) return base;
            return base + @as(usize, @intCast(self.lines.length));
        }

        fn runRange(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const Self = @ptrCast(@alignCast(context));
            const scratch = memory.allocator.alloc(C32, self.scratchLength()) catch {
                self.failed.store(true, .monotonic);
                return;
            };
            defer memory.allocator.free(scratch);
            const n = self.plan.length;
            const work = scratch[n..][0..self.plan.workLength()];
            const line_buffer = scratch[n + work.len ..];
            for (start..end) |line| {
                const first = self.lines.starts(line);
                const data = scratch[0..n];
                if (self.halved()) {
                    self.loadHalved(first[1], data, line_buffer);
                    self.storeHalved(first[0], self.plan.execute(data, work));
                } else {
                    self.load(first[1], data);
                    self.store(first[0], self.plan.execute(data, work));
                }
            }
        }

        fn load(self: *const Self, start: i64, data: []C32) void {
            const n = data.len;
            const stride = self.lines.stride;
            var offset = start;
            switch (kind) {
                .c2c => for (data) |*slot| {
                    const value = strided.at(C32, self.source, offset).*;
                    slot.* = if (self.inverse) value.conj() else value;
                    offset += stride;
                },
                .r2c => for (data) |*slot| {
                    slot.* = .{ .re = strided.at(f32, self.source, offset).*, .im = 0 };
                    offset += stride;
                },
                .c2r => {
                    // The Hermitian spectrum's conjugate (the inverse as a forward transform):
                    // conj(h[k]) for k <= n/2, then h[n - k].
                    const half = n / 2;
                    assert(self.lines.length == half + 1);
                    for (data[0 .. half + 1]) |*slot| {
                        slot.* = strided.at(C32, self.source, offset).conj();
                        offset += stride;
                    }
                    for (half + 1..n) |k| data[k] = data[n - k].conj();
                },
            }
        }

        fn store(self: *const Self, start: i64, result: []const C32) void {
            const stride = self.lines.out_stride;
            var offset = start;
            switch (kind) {
                .c2c => for (result) |value| {
                    const slot = strided.at(C32, self.target, offset);
                    slot.* = if (self.inverse) value.conj().scale(self.scale) else value;
                    offset += stride;
                },
                .r2c => for (result[0 .. result.len / 2 + 1]) |value| {
                    strided.at(C32, self.target, offset).* = value;
                    offset += stride;
                },
                .c2r => for (result) |value| {
                    strided.at(f32, self.target, offset).* = value.re * self.scale;
                    offset += stride;
                },
            }
        }

        /// Half-length real transforms: r2c packs sample pairs; c2r packs the spectrum (its
        /// conjugate, to run the inverse as a forward transform).
        fn loadHalved(self: *const Self, start: i64, data: []C32, line_buffer: []C32) void {
            const stride = self.lines.stride;
            var offset = start;
            switch (kind) {
                .c2c => unreachable,
                .r2c => for (data) |*slot| {
                    const re = strided.at(f32, self.source, offset).*;
                    const im = strided.at(f32, self.source, offset + stride).*;
                    slot.* = .{ .re = re, .im = im };
                    offset += 2 * stride;
                },
                .c2r => {
                    assert(line_buffer.len == data.len + 1);
                    for (line_buffer) |*slot| {
                        slot.* = strided.at(C32, self.source, offset).*;
                        offset += stride;
                    }
                    for (data, 0..) |*slot, k| {
                        slot.* = fft_real.packedTerm(line_buffer, self.real_table, k).conj();
                    }
                },
            }
        }

        fn storeHalved(self: *const Self, start: i64, result: []const C32) void {
            const stride = self.lines.out_stride;
            var offset = start;
            switch (kind) {
                .c2c => unreachable,
                .r2c => for (0..result.len + 1) |k| {
                    const term = fft_real.spectrumTerm(result, self.real_table, k);
                    strided.at(C32, self.target, offset).* = term;
                    offset += stride;
                },
                .c2r => for (result) |value| {
                    strided.at(f32, self.target, offset).* = value.re * self.scale;
                    strided.at(f32, self.target, offset + stride).* = -value.im * self.scale;
                    offset += 2 * stride;
                },
            }
        }
    };
}

/// Runs one pass. The source and target may be the same buffer with the same layout (the
/// pass works in place: a line is read whole before it is written).
pub fn run(pass: Pass) errors.Error!void {
    assert(pass.axis < pass.shape.ndim);
    assert(pass.length >= 1);
    const source_length: usize = @intCast(pass.shape.dims[pass.axis]);
    switch (pass.kind) {
        .c2c, .r2c => assert(source_length == pass.length),
        .c2r => assert(source_length == pass.length / 2 + 1),
    }
    const lines = Lines.initStrided(
        pass.shape,
        pass.axis,
        .{ pass.target.strides, pass.source.strides },
        .{ pass.target.offset, pass.source.offset },
    );
    if (lines.count() == 0) return;
    const halved = pass.kind != .c2c and pass.length % 2 == 0;
    var plan = try Plan.init(if (halved) pass.length / 2 else pass.length);
    defer plan.deinit();
    const real_table: []C32 = if (halved) try fft_real.twiddles(pass.length) else &.{};
    defer if (halved) memory.allocator.free(real_table);
    var failed = std.atomic.Value(bool).init(false);
    const scale: f32 = @floatCast(1.0 / @as(f64, @floatFromInt(pass.length)));
    switch (pass.kind) {
        inline else => |kind| {
            const K = Kernel(kind);
            const kernel: K = .{
                .lines = lines,
                .plan = &plan,
                .source = @ptrCast(@alignCast(pass.source.base)),
                .target = @ptrCast(@alignCast(pass.target.base)),
                .inverse = kind == .c2r or (kind == .c2c and pass.inverse),
                .scale = scale,
                .real_table = real_table,
                .failed = &failed,
            };
            const grain = @max(1, simd.parallel_grain_elements / pass.length);
            pool.parallelFor(lines.count(), grain, &kernel, K.runRange);
            if (failed.load(.monotonic)) {
                return memory.outOfMemory(kernel.scratchLength() * @sizeOf(C32));
            }
        },
    }
}
