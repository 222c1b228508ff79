//! `compile`: a traced function's graph, captured once as a program (steps over input slots,
//! captured constants and earlier steps), simplified (common subexpressions merged), then
//! replayed natively for every call with new inputs: the function's JavaScript does not run
//! again and no per-op FFI call is made.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const memory = @import("../memory.zig");
const shape_mod = @import("../shape.zig");
const DType = @import("../dtype.zig").DType;
const Array = @import("../array.zig").Array;
const Primitive = @import("../primitive.zig").Primitive;
const fused = @import("../backend/cpu/fused.zig");

const Shape = shape_mod.Shape;

/// At most this many live programs and steps per program.
pub const programs_max = 1 << 16;
pub const steps_max = 1 << 20;

const Operand = union(enum) {
    input: u32,
    constant: u32,
    step: u32,
};

const Step = struct {
    primitive: Primitive,
    dtype: DType,
    shape: Shape,
    operands: []Operand,
};

const InputSpec = struct { dtype: DType, shape: Shape };

/// Steps and the operands that are the program's outputs.
const Variant = struct {
    steps: []Step,
    outputs: []Operand,

    fn deinit(self: Variant) void {
        for (self.steps) |step| memory.allocator.free(step.operands);
        memory.allocator.free(self.steps);
        memory.allocator.free(self.outputs);
    }
};

const Program = struct {
    inputs: []InputSpec,
    /// Arrays the function used that do not depend on its inputs (held referenced).
    constants: []*Array,
    steps: []Step,
    outputs: []Operand,
    /// The same program with float32 elementwise chains fused, when there are any; replayed
    /// unless an input is a tracer (a transform differentiates through the plain steps).
    fast: ?Variant,
    /// Replay recomputes shapes (elementwise steps only) instead of requiring the traced ones.
    shapeless: bool,
    /// Holders: the compiled function (or custom function call) that built it, and every node
    /// or step whose primitive names it (`custom`).
    references: u32 = 1,

    fn deinit(self: *Program) void {
        for (self.steps) |step| releaseResources(step.primitive);
        if (self.fast) |fast| {
            for (fast.steps) |step| releaseResources(step.primitive);
            fast.deinit();
        }
        for (self.constants) |constant| constant.release();
        for (self.steps) |step| memory.allocator.free(step.operands);
        memory.allocator.free(self.constants);
        memory.allocator.free(self.steps);
        memory.allocator.free(self.outputs);
        memory.allocator.free(self.inputs);
        memory.allocator.destroy(self);
    }
};

var programs_mutex: std.Thread.Mutex = .{};
var programs: std.ArrayListUnmanaged(?*Program) = .empty;

fn oom(bytes: usize) errors.Error {
    return memory.outOfMemory(bytes);
}

/// Captures the graph from `inputs` (the trace's tracers) to `outputs`; returns the program's
/// id (>= 1).
pub fn build(outputs: []const *Array, inputs: []const *Array, shapeless: bool) errors.Error!u32 {
    var index: std.AutoHashMapUnmanaged(*Array, Operand) = .empty;
    defer index.deinit(memory.allocator);
    var constants: std.ArrayListUnmanaged(*Array) = .empty;
    errdefer {
        for (constants.items) |c| c.release();
        constants.deinit(memory.allocator);
    }
    var steps: std.ArrayListUnmanaged(Step) = .empty;
    errdefer {
        for (steps.items) |step| memory.allocator.free(step.operands);
        steps.deinit(memory.allocator);
    }
    for (inputs, 0..) |input, slot| {
        const entry = index.getOrPut(memory.allocator, input) catch return oom(64);
        // The same array passed twice keeps its first slot.
        if (!entry.found_existing) entry.value_ptr.* = .{ .input = @intCast(slot) };
    }
    // Post-order from the outputs: a node's operands are captured before the node.
    const Frame = struct { node: *Array, next_input: usize };
    var stack: std.ArrayListUnmanaged(Frame) = .empty;
    defer stack.deinit(memory.allocator);
    var depends: std.AutoHashMapUnmanaged(*Array, bool) = .empty;
    defer depends.deinit(memory.allocator);
    for (outputs) |output| {
        if (index.contains(output)) continue;
        stack.append(memory.allocator, .{ .node = output, .next_input = 0 }) catch return oom(64);
        while (stack.items.len > 0) {
            const top = &stack.items[stack.items.len - 1];
            const node = top.node;
            if (!dependsOnInputs(node, &depends, &index)) {
                // Computed without the inputs: a constant of the program.
                stack.items.len -= 1;
                if (index.contains(node)) continue;
                if (equalScalar(constants.items, node)) |existing| {
                    // Equal evaluated scalars (e.g. two `0.5`s) are one constant.
                    index.put(memory.allocator, node, .{ .constant = existing }) catch return oom(64);
                    continue;
                }
                node.retain();
                constants.append(memory.allocator, node) catch {
                    node.release();
                    return oom(64);
                };
                index.put(memory.allocator, node, .{ .constant = @intCast(constants.items.len - 1) }) catch return oom(64);
                continue;
            }
            if (top.next_input < node.inputs.len) {
                const input = node.inputs[top.next_input];
                top.next_input += 1;
                if (!index.contains(input)) {
                    stack.append(memory.allocator, .{ .node = input, .next_input = 0 }) catch return oom(64);
                }
                continue;
            }
            stack.items.len -= 1;
            if (index.contains(node)) continue;
            if (steps.items.len >= steps_max) {
                return errors.fail(error.LimitExceeded, "[compile] the function records more " ++
                    "than {d} operations", .{steps_max});
            }
            if (isNoOp(node)) {
                // A view that changes nothing (same shape, identity order): its operand.
                index.put(memory.allocator, node, index.get(node.inputs[0]).?) catch return oom(64);
                continue;
            }
            const operands = memory.allocator.alloc(Operand, node.inputs.len) catch
                return oom(node.inputs.len * @sizeOf(Operand));
            for (node.inputs, operands) |input, *operand| operand.* = index.get(input).?;
            if (shapeless and !isElementwise(node.primitive)) {
                memory.allocator.free(operands);
                return errors.fail(error.Unsupported, "[compile] shapeless compilation supports " ++
                    "elementwise operations only; the function uses {s}", .{node.primitive.name()});
            }
            const step_index = if (merged(steps.items, node, operands)) |existing| blk: {
                memory.allocator.free(operands);
                break :blk existing;
            } else blk: {
                steps.append(memory.allocator, .{ .primitive = node.primitive, .dtype = node.dtype,
                    .shape = node.shape, .operands = operands }) catch {
                    memory.allocator.free(operands);
                    return oom(@sizeOf(Step));
                };
                break :blk steps.items.len - 1;
            };
            index.put(memory.allocator, node, .{ .step = @intCast(step_index) }) catch return oom(64);
        }
    }
    const program = memory.allocator.create(Program) catch return oom(@sizeOf(Program));
    errdefer memory.allocator.destroy(program);
    const output_refs = memory.allocator.alloc(Operand, outputs.len) catch return oom(outputs.len * 16);
    errdefer memory.allocator.free(output_refs);
    for (outputs, output_refs) |output, *ref| ref.* = index.get(output).?;
    const specs = memory.allocator.alloc(InputSpec, inputs.len) catch return oom(inputs.len * @sizeOf(InputSpec));
    errdefer memory.allocator.free(specs);
    for (inputs, specs) |input, *spec| spec.* = .{ .dtype = input.dtype, .shape = input.shape };
    const owned_steps = steps.toOwnedSlice(memory.allocator) catch return oom(steps.items.len * @sizeOf(Step));
    const owned_constants = constants.toOwnedSlice(memory.allocator) catch {
        memory.allocator.free(owned_steps);
        return oom(constants.items.len * 8);
    };
    program.* = .{ .inputs = specs, .constants = owned_constants, .steps = owned_steps,
        .outputs = output_refs, .shapeless = shapeless, .fast = null };
    // Steps naming other programs (custom functions) hold them.
    for (program.steps) |step| retainResources(step.primitive);
    program.fast = fuse(program) catch |err| {
        program.deinit();
        return err;
    };
    if (program.fast) |fast| for (fast.steps) |step| retainResources(step.primitive);

    programs_mutex.lock();
    defer programs_mutex.unlock();
    for (programs.items, 0..) |slot, i| {
        if (slot == null) {
            programs.items[i] = program;
            return @intCast(i + 1);
        }
    }
    if (programs.items.len >= programs_max) {
        program.deinit();
        return errors.fail(error.LimitExceeded, "[compile] more than {d} compiled functions are " ++
            "alive", .{programs_max});
    }
    programs.append(memory.allocator, program) catch {
        program.deinit();
        return oom(8);
    };
    return @intCast(programs.items.len);
}

/// An existing step computing the same primitive from the same operands (common
/// subexpression), or null.
fn merged(steps: []const Step, node: *const Array, operands: []const Operand) ?usize {
    for (steps, 0..) |step, i| {
        if (step.dtype != node.dtype or !step.shape.eql(node.shape)) continue;
        if (!std.meta.eql(step.primitive, node.primitive)) continue;
        if (step.operands.len != operands.len) continue;
        var same = true;
        for (step.operands, operands) |a, b| same = same and std.meta.eql(a, b);
        if (same) return i;
    }
    return null;
}

/// The index of an evaluated 0-d constant equal to `node` (same dtype and bytes), if any.
fn equalScalar(constants: []const *Array, node: *const Array) ?u32 {
    if (!node.isEvaluated() or node.shape.ndim != 0) return null;
    const bytes = node.contiguousBytes();
    for (constants, 0..) |constant, i| {
        if (!constant.isEvaluated() or constant.shape.ndim != 0 or constant.dtype != node.dtype) continue;
        if (std.mem.eql(u8, constant.contiguousBytes(), bytes)) return @intCast(i);
    }
    return null;
}

/// A reshape, broadcast or transpose that leaves its input as it is.
fn isNoOp(node: *const Array) bool {
    if (node.inputs.len != 1) return false;
    const input = node.inputs[0];
    if (!input.shape.eql(node.shape) or input.dtype != node.dtype) return false;
    return switch (node.primitive) {
        .reshape, .broadcast_to => true,
        .transpose => |permutation| blk: {
            for (0..node.shape.ndim) |axis| if (permutation.axes[axis] != axis) break :blk false;
            break :blk true;
        },
        else => false,
    };
}

fn isElementwise(primitive: Primitive) bool {
    return switch (primitive) {
        .unary, .binary, .where, .astype, .fused => true,
        else => false,
    };
}

/// Whether an input of the program is behind `node` (memoized).
fn dependsOnInputs(
    node: *Array,
    memo: *std.AutoHashMapUnmanaged(*Array, bool),
    index: *const std.AutoHashMapUnmanaged(*Array, Operand),
) bool {
    if (index.get(node)) |operand| return operand != .constant;
    if (memo.get(node)) |known| return known;
    // Iterative: the graph may be deep.
    var pending: std.ArrayListUnmanaged(*Array) = .empty;
    defer pending.deinit(memory.allocator);
    pending.append(memory.allocator, node) catch return true;
    while (pending.items.len > 0) {
        const top = pending.items[pending.items.len - 1];
        if (memo.contains(top)) {
            pending.items.len -= 1;
            continue;
        }
        var unknown = false;
        var result = false;
        for (top.inputs) |input| {
            if (index.get(input)) |operand| {
                result = result or operand != .constant;
                continue;
            }
            if (memo.get(input)) |known| {
                result = result or known;
            } else {
                unknown = true;
                pending.append(memory.allocator, input) catch return true;
            }
        }
        if (unknown) continue;
        memo.put(memory.allocator, top, result) catch return true;
        pending.items.len -= 1;
    }
    return memo.get(node) orelse true;
}

/// Replays program `id` on `inputs`, writing new references to its outputs into `outputs`.
pub fn run(id: u32, inputs: []const *Array, outputs: []*Array) errors.Error!void {
    const program = try get(id);
    if (inputs.len != program.inputs.len or outputs.len != program.outputs.len) {
        return errors.fail(error.InvalidArgument, "[compile] the program takes {d} inputs and " ++
            "makes {d} outputs; got {d} and room for {d}", .{ program.inputs.len,
            program.outputs.len, inputs.len, outputs.len });
    }
    for (inputs, program.inputs, 0..) |input, spec, k| {
        if (input.dtype != spec.dtype or (!program.shapeless and !input.shape.eql(spec.shape))) {
            return errors.fail(error.InvalidArgument, "[compile] input {d} is {s} {f}; the " ++
                "program was traced for {s} {f}", .{ k, input.dtype.name(), input.shape,
                spec.dtype.name(), spec.shape });
        }
    }
    var traced = false;
    for (inputs) |input| traced = traced or input.isTracer();
    const variant: Variant = if (program.fast != null and !traced)
        program.fast.?
    else
        .{ .steps = program.steps, .outputs = program.outputs };
    const made = memory.allocator.alloc(*Array, variant.steps.len) catch
        return oom(variant.steps.len * 8);
    defer memory.allocator.free(made);
    var count: usize = 0;
    defer for (made[0..count]) |node| node.release();
    var operands: [64]*Array = undefined;
    for (variant.steps) |step| {
        if (step.operands.len > operands.len) {
            return errors.fail(error.Unsupported, "[compile] a step with {d} inputs", .{step.operands.len});
        }
        for (step.operands, 0..) |operand, k| operands[k] = resolve(program, inputs, made, operand);
        const shape = if (program.shapeless)
            try replayShape(step, operands[0..step.operands.len])
        else
            step.shape;
        made[count] = try Array.createLazy(step.dtype, shape, step.primitive, operands[0..step.operands.len]);
        count += 1;
    }
    for (variant.outputs, outputs) |ref, *out| {
        const node = resolve(program, inputs, made, ref);
        node.retain();
        out.* = node;
    }
}

fn resolve(program: *const Program, inputs: []const *Array, made: []const *Array, operand: Operand) *Array {
    return switch (operand) {
        .input => |k| inputs[k],
        .constant => |k| program.constants[k],
        .step => |k| made[k],
    };
}

/// The output shape of an elementwise step over operands of new shapes.
fn replayShape(step: Step, operands: []const *Array) errors.Error!Shape {
    assert(isElementwise(step.primitive) and operands.len > 0);
    var shape = operands[0].shape;
    for (operands[1..]) |operand| shape = try shape_mod.broadcast("compile", shape, operand.shape);
    return shape;
}

fn get(id: u32) errors.Error!*Program {
    programs_mutex.lock();
    defer programs_mutex.unlock();
    if (id == 0 or id > programs.items.len or programs.items[id - 1] == null) {
        return errors.fail(error.InvalidArgument, "[compile] no compiled program {d}", .{id});
    }
    return programs.items[id - 1].?;
}

/// Drops one reference to program `id`; the last frees it (and releases its constants).
pub fn free(id: u32) errors.Error!void {
    programs_mutex.lock();
    if (id == 0 or id > programs.items.len or programs.items[id - 1] == null) {
        programs_mutex.unlock();
        return errors.fail(error.InvalidArgument, "[compile] no compiled program {d}", .{id});
    }
    const program = programs.items[id - 1].?;
    assert(program.references > 0);
    program.references -= 1;
    const last = program.references == 0;
    if (last) programs.items[id - 1] = null;
    programs_mutex.unlock();
    if (last) program.deinit();
}

/// Adds a reference to program `id`, which must exist.
pub fn retain(id: u32) void {
    programs_mutex.lock();
    defer programs_mutex.unlock();
    const program = programs.items[id - 1].?;
    assert(program.references > 0);
    program.references += 1;
}

/// A node or step with `primitive` holds what it names (a custom function's vjp program).
pub fn retainResources(primitive: Primitive) void {
    switch (primitive) {
        .custom => |params| retain(params.program),
        else => {},
    }
}

pub fn releaseResources(primitive: Primitive) void {
    switch (primitive) {
        .custom => |params| free(params.program) catch unreachable,
        else => {},
    }
}

/// The dtype and shape of input `k` of program `id`.
pub fn inputSpec(id: u32, k: usize) errors.Error!struct { dtype: DType, shape: Shape } {
    const program = try get(id);
    assert(k < program.inputs.len);
    return .{ .dtype = program.inputs[k].dtype, .shape = program.inputs[k].shape };
}

pub fn inputCount(id: u32) errors.Error!usize {
    return (try get(id)).inputs.len;
}

/// The number of steps of program `id` after simplification (for tests and benchmarks).
pub fn stepCount(id: u32) errors.Error!u32 {
    return @intCast((try get(id)).steps.len);
}

// ---------------------------------------------------------------------------------------------
// Fusion

fn operandDtype(program: *const Program, operand: Operand) DType {
    return switch (operand) {
        .input => |k| program.inputs[k].dtype,
        .constant => |k| program.constants[k].dtype,
        .step => |k| program.steps[k].dtype,
    };
}

/// A float32 unary or binary step over float32 operands.
fn fusable(program: *const Program, step: Step) bool {
    if (step.dtype != .float32) return false;
    const ok = switch (step.primitive) {
        .unary => |op| fused.unaryFusable(op),
        .binary => |op| fused.binaryFusable(op),
        else => false,
    };
    if (!ok) return false;
    for (step.operands) |operand| if (operandDtype(program, operand) != .float32) return false;
    return true;
}

/// The program with chains of fusable steps (each link used once, same shape) replaced by one
/// fused step per chain; null when nothing fuses.
fn fuse(program: *const Program) errors.Error!?Variant {
    const steps = program.steps;
    const n = steps.len;
    if (n < 2) return null;
    const scratch = memory.allocator.alloc(u32, 3 * n) catch return oom(3 * n * 4);
    defer memory.allocator.free(scratch);
    const uses = scratch[0..n];
    // absorbed_into[i]: the step whose fused kernel computes step i inline, or `none`.
    const absorbed_into = scratch[n .. 2 * n];
    const new_index = scratch[2 * n ..];
    const none = std.math.maxInt(u32);
    @memset(uses, 0);
    @memset(absorbed_into, none);
    for (steps) |step| for (step.operands) |operand| if (operand == .step) {
        uses[operand.step] += 1;
    };
    for (program.outputs) |operand| if (operand == .step) {
        uses[operand.step] += 1;
    };
    // Roots absorb fusable operand steps used only by them (transitively, in index order).
    var any = false;
    var i: usize = n;
    while (i > 0) {
        i -= 1;
        if (absorbed_into[i] != none or !fusable(program, steps[i])) continue;
        var group: Group = .{};
        if (!group.collect(program, @intCast(i), uses)) continue;
        if (group.member_count < 2) continue;
        for (group.members[0..group.member_count]) |member| {
            if (member != i) absorbed_into[member] = @intCast(i);
        }
        any = true;
    }
    if (!any) return null;

    var out_steps: std.ArrayListUnmanaged(Step) = .empty;
    errdefer {
        for (out_steps.items) |step| memory.allocator.free(step.operands);
        out_steps.deinit(memory.allocator);
    }
    for (steps, 0..) |step, index| {
        if (absorbed_into[index] != none) continue;
        var group: Group = .{};
        const is_root = fusable(program, step) and group.collect(program, @intCast(index), uses) and
            group.member_count >= 2;
        const made: Step = if (is_root) try group.fusedStep(program) else blk: {
            const operands = memory.allocator.dupe(Operand, step.operands) catch
                return oom(step.operands.len * @sizeOf(Operand));
            break :blk .{ .primitive = step.primitive, .dtype = step.dtype, .shape = step.shape,
                .operands = operands };
        };
        for (made.operands) |*operand| if (operand.* == .step) {
            assert(absorbed_into[operand.step] == none);
            operand.* = .{ .step = new_index[operand.step] };
        };
        out_steps.append(memory.allocator, made) catch {
            memory.allocator.free(made.operands);
            return oom(@sizeOf(Step));
        };
        new_index[index] = @intCast(out_steps.items.len - 1);
    }
    const outputs = memory.allocator.dupe(Operand, program.outputs) catch
        return oom(program.outputs.len * @sizeOf(Operand));
    for (outputs) |*operand| if (operand.* == .step) {
        operand.* = .{ .step = new_index[operand.step] };
    };
    const owned = out_steps.toOwnedSlice(memory.allocator) catch {
        memory.allocator.free(outputs);
        return oom(out_steps.items.len * @sizeOf(Step));
    };
    return .{ .steps = owned, .outputs = outputs };
}

/// The steps one fused kernel computes: a root and the fusable steps only it uses, within
/// the kernel's limits.
const Group = struct {
    members: [fused.instructions_max]u32 = undefined,
    member_count: usize = 0,

    /// Collects from `root`; false when the group would exceed the limits.
    fn collect(self: *Group, program: *const Program, root: u32, uses: []const u32) bool {
        self.member_count = 0;
        var pending: [fused.instructions_max]u32 = undefined;
        var pending_count: usize = 1;
        pending[0] = root;
        while (pending_count > 0) {
            pending_count -= 1;
            const index = pending[pending_count];
            if (self.member_count >= fused.instructions_max) return false;
            self.members[self.member_count] = index;
            self.member_count += 1;
            const step = program.steps[index];
            for (step.operands) |operand| {
                if (operand != .step) continue;
                const j = operand.step;
                const inner = program.steps[j];
                if (uses[j] != 1 or !fusable(program, inner) or !inner.shape.eql(step.shape)) continue;
                if (pending_count >= pending.len) return false;
                pending[pending_count] = j;
                pending_count += 1;
            }
        }
        std.mem.sort(u32, self.members[0..self.member_count], {}, std.sort.asc(u32));
        var externals: [fused.inputs_max + 1]Operand = undefined;
        return self.externalOperands(program, &externals) != null;
    }

    fn isMember(self: *const Group, index: u32) bool {
        for (self.members[0..self.member_count]) |m| if (m == index) return true;
        return false;
    }

    /// The operands from outside the group (deduplicated), or null past `fused.inputs_max`.
    fn externalOperands(self: *const Group, program: *const Program, out: *[fused.inputs_max + 1]Operand) ?[]Operand {
        var count: usize = 0;
        for (self.members[0..self.member_count]) |index| {
            for (program.steps[index].operands) |operand| {
                if (operand == .step and self.isMember(operand.step)) continue;
                var seen = false;
                for (out[0..count]) |e| seen = seen or std.meta.eql(e, operand);
                if (seen) continue;
                if (count >= fused.inputs_max) return null;
                out[count] = operand;
                count += 1;
            }
        }
        return out[0..count];
    }

    fn fusedStep(self: *const Group, program: *const Program) errors.Error!Step {
        var externals_buffer: [fused.inputs_max + 1]Operand = undefined;
        const externals = self.externalOperands(program, &externals_buffer).?;
        var code: fused.Program = .{
            .input_count = @intCast(externals.len),
            .instruction_count = @intCast(self.member_count),
            .instructions = undefined,
        };
        const register = struct {
            fn of(group: *const Group, ext: []const Operand, operand: Operand) u8 {
                if (operand == .step) {
                    for (group.members[0..group.member_count], 0..) |m, k| {
                        if (m == operand.step) return @intCast(ext.len + k);
                    }
                }
                for (ext, 0..) |e, k| if (std.meta.eql(e, operand)) return @intCast(k);
                unreachable;
            }
        }.of;
        for (self.members[0..self.member_count], 0..) |index, k| {
            const step = program.steps[index];
            code.instructions[k] = switch (step.primitive) {
                .unary => |op| .{ .op = .{ .unary = op }, .a = register(self, externals, step.operands[0]) },
                .binary => |op| .{ .op = .{ .binary = op }, .a = register(self, externals, step.operands[0]),
                    .b = register(self, externals, step.operands[1]) },
                else => unreachable,
            };
        }
        const root = program.steps[self.members[self.member_count - 1]];
        const operands = memory.allocator.dupe(Operand, externals) catch
            return oom(externals.len * @sizeOf(Operand));
        return .{ .primitive = .{ .fused = code }, .dtype = .float32, .shape = root.shape,
            .operands = operands };
    }
};

/// The number of steps the fused form of program `id` replays (its plain count when nothing
/// fused).
pub fn fusedStepCount(id: u32) errors.Error!u32 {
    const program = try get(id);
    return @intCast(if (program.fast) |fast| fast.steps.len else program.steps.len);
}
