//! Reverse-mode differentiation over the recorded graph (MLX's `vjp`): from the outputs of a
//! traced function back to its traced inputs, each primitive's vjp rule turns the cotangent
//! of its output into cotangents of its inputs; contributions to one node add up. The rules
//! record lazy nodes, so the gradients are arrays like any other (and differentiable again).

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const memory = @import("../memory.zig");
const Array = @import("../array.zig").Array;
const primitive = @import("../primitive.zig");
const astype = @import("../primitives/astype.zig");
const binary = @import("../primitives/binary.zig");
const grad_ops = @import("grad_ops.zig");

/// What the walk knows of a node: whether a traced input is behind it, and the sum of the
/// cotangents reaching it so far.
const Record = struct {
    needs_grad: bool = false,
    cotangent: ?*Array = null,
};

const Records = std.AutoHashMapUnmanaged(*Array, Record);

/// Writes to `grads[i]` (a new reference) the cotangent of `primals[i]` given `cotangents`
/// of `outputs` (same shapes). Primals that nothing depends on get zeros.
pub fn vjp(
    outputs: []const *Array,
    cotangents: []const *Array,
    primals: []const *Array,
    grads: []*Array,
) errors.Error!void {
    assert(outputs.len == cotangents.len and primals.len == grads.len);
    for (outputs, cotangents, 0..) |output, cotangent, index| {
        if (!output.shape.eql(cotangent.shape)) {
            return errors.fail(error.ShapeMismatch, "[vjp] cotangent {d} has shape {f}; its " ++
                "output has shape {f}", .{ index, cotangent.shape, output.shape });
        }
    }
    var records: Records = .empty;
    defer {
        var it = records.valueIterator();
        while (it.next()) |record| if (record.cotangent) |c| c.release();
        records.deinit(memory.allocator);
    }
    var order: std.ArrayList(*Array) = .empty;
    defer order.deinit(memory.allocator);
    try topologicalOrder(outputs, primals, &records, &order);

    for (outputs, cotangents) |output, cotangent| {
        const record = records.getPtr(output).?;
        if (!record.needs_grad) continue;
        const cast = try astype.create(cotangent, output.dtype);
        try accumulate(record, cast);
    }
    // Consumers come after their inputs in `order`: walk it backwards.
    var position = order.items.len;
    while (position > 0) {
        position -= 1;
        const node = order.items[position];
        const record = records.getPtr(node).?;
        const cotangent = record.cotangent orelse continue;
        if (isPrimal(node, primals) or node.primitive == .none) continue;
        defer primitive.vjpDone();
        for (node.inputs, 0..) |input, argnum| {
            const input_record = records.getPtr(input) orelse continue;
            if (!input_record.needs_grad) continue;
            const contribution = try primitive.vjp(node, cotangent, argnum) orelse continue;
            errdefer contribution.release();
            if (!contribution.shape.eql(input.shape)) {
                return errors.fail(error.ShapeMismatch, "[vjp] the rule of {s} gave a " ++
                    "cotangent of shape {f} for an input of shape {f}", .{
                    node.primitive.name(), contribution.shape, input.shape });
            }
            try accumulate(records.getPtr(input).?, contribution);
        }
        // Its inputs hold what they need of it now: let the cotangent go.
        const done = records.getPtr(node).?;
        done.cotangent.?.release();
        done.cotangent = null;
    }
    var made: usize = 0;
    errdefer for (grads[0..made]) |grad| grad.release();
    for (primals, 0..) |primal, index| {
        const record = records.get(primal);
        grads[index] = if (record != null and record.?.cotangent != null) blk: {
            const cotangent = record.?.cotangent.?;
            break :blk try astype.create(cotangent, primal.dtype);
        } else try grad_ops.zerosLike(primal);
        made += 1;
    }
}

/// Adds `contribution` (whose reference it takes) to the node's cotangent.
fn accumulate(record: *Record, contribution: *Array) errors.Error!void {
    const previous = record.cotangent orelse {
        record.cotangent = contribution;
        return;
    };
    defer contribution.release();
    const sum = try binary.create(.add, previous, contribution);
    previous.release();
    record.cotangent = sum;
}

fn isPrimal(node: *const Array, primals: []const *Array) bool {
    for (primals) |primal| if (primal == node) return true;
    return false;
}

/// Post-order over the graph behind `outputs` (inputs before consumers), stopping at primals
/// and at nodes without a primitive; records whether each node depends on a primal.
fn topologicalOrder(
    outputs: []const *Array,
    primals: []const *Array,
    records: *Records,
    order: *std.ArrayList(*Array),
) errors.Error!void {
    const Frame = struct { node: *Array, next_input: usize };
    var stack: std.ArrayList(Frame) = .empty;
    defer stack.deinit(memory.allocator);
    for (outputs) |output| {
        if (records.contains(output)) continue;
        records.put(memory.allocator, output, .{}) catch
            return memory.outOfMemory(@sizeOf(Record));
        try push(&stack, output);
        while (stack.items.len > 0) {
            const top = &stack.items[stack.items.len - 1];
            const node = top.node;
            const leaf = isPrimal(node, primals) or node.primitive == .none or
                stopsGradient(node);
            if (!leaf and top.next_input < node.inputs.len) {
                const input = node.inputs[top.next_input];
                top.next_input += 1;
                const entry = records.getOrPut(memory.allocator, input) catch
                    return memory.outOfMemory(@sizeOf(Record));
                if (!entry.found_existing) {
                    entry.value_ptr.* = .{};
                    try push(&stack, input);
                }
                continue;
            }
            stack.items.len -= 1;
            var needs = isPrimal(node, primals);
            if (!leaf) {
                for (node.inputs) |input| needs = needs or records.get(input).?.needs_grad;
            }
            records.getPtr(node).?.needs_grad = needs;
            order.append(memory.allocator, node) catch
                return memory.outOfMemory(@sizeOf(*Array) * (order.items.len + 1));
        }
    }
}

fn push(stack: anytype, node: *Array) errors.Error!void {
    stack.append(memory.allocator, .{ .node = node, .next_input = 0 }) catch
        return memory.outOfMemory(@sizeOf(@TypeOf(stack.items[0])) * (stack.items.len + 1));
}

fn stopsGradient(node: *const Array) bool {
    return switch (node.primitive) {
        .unary => |op| op == .stop_gradient,
        else => false,
    };
}
