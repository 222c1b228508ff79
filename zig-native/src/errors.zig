//! The error set every native function returns, and the thread-local message that says what
//! went wrong. Code below the ABI returns `Error` values; only `abi.zig` turns them into
//! status codes (see `Status` there).

const std = @import("std");

pub const Error = error{
    /// A handle that is zero, freed, stale (its slot was reused) or was never issued.
    InvalidHandle,
    /// An argument out of its documented range: bad dtype code, axis, ndim, byte count, ...
    InvalidArgument,
    /// Shapes that cannot be combined (broadcasting, reduction axes, byte sizes).
    ShapeMismatch,
    /// A dtype the operation does not accept.
    DTypeMismatch,
    /// The allocator or the configured memory limit refused an allocation.
    OutOfMemory,
    /// A fixed limit was reached (number of live handles, dimensions).
    LimitExceeded,
    /// The operation exists but has no kernel for this input on this backend.
    Unsupported,
};

const message_capacity_bytes = 1024;

threadlocal var message_buffer: [message_capacity_bytes]u8 = undefined;
threadlocal var message_length: usize = 0;

/// Records a message for the calling thread and returns `err`, so call sites read
/// `return fail(error.ShapeMismatch, "[add] ...", .{...});`.
pub fn fail(err: Error, comptime format: []const u8, args: anytype) Error {
    var writer = std.Io.Writer.fixed(&message_buffer);
    writer.print(format, args) catch {
        // Too long for the buffer: keep what fits and mark the cut.
        const ellipsis = "...";
        const end = @min(writer.end, message_capacity_bytes - ellipsis.len);
        @memcpy(message_buffer[end..][0..ellipsis.len], ellipsis);
        message_length = end + ellipsis.len;
        return err;
    };
    message_length = writer.end;
    return err;
}

/// Clears the calling thread's message (done at every ABI entry).
pub fn clear() void {
    message_length = 0;
}

/// The calling thread's last message; empty when the last call set none.
pub fn message() []const u8 {
    return message_buffer[0..message_length];
}

test "fail keeps the message and truncates long ones" {
    const err = fail(error.InvalidArgument, "[op] bad value {d}", .{42});
    try std.testing.expectEqual(error.InvalidArgument, err);
    try std.testing.expectEqualStrings("[op] bad value 42", message());
    const long = "x" ** 2000;
    try std.testing.expectEqual(error.InvalidArgument, fail(error.InvalidArgument, "{s}", .{long}));
    try std.testing.expect(message().len <= message_capacity_bytes);
    try std.testing.expect(message().len > message_capacity_bytes / 2);
    try std.testing.expect(std.mem.endsWith(u8, message(), "..."));
    clear();
    try std.testing.expectEqual(@as(usize, 0), message().len);
}
