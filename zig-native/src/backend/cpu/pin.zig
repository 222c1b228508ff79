//! Keeps this shared library loaded for the life of the process once it has threads.
//! Runtimes close (dlclose) libraries when their handle object is collected or at exit;
//! unmapping code that pool workers are parked in would crash them. Re-opening ourselves with
//! RTLD_NODELETE makes every later dlclose leave the code mapped.

const std = @import("std");
const builtin = @import("builtin");

const DlInfo = extern struct {
    dli_fname: ?[*:0]const u8,
    dli_fbase: ?*anyopaque,
    dli_sname: ?[*:0]const u8,
    dli_saddr: ?*anyopaque,
};

extern "c" fn dladdr(address: *const anyopaque, info: *DlInfo) c_int;

/// Pins the library that contains this function. Returns whether it is pinned; a failure
/// leaves things as they were (the caller then runs without worker threads).
pub fn pinSelf() bool {
    if (builtin.link_mode == .static and builtin.output_mode != .Lib) return true;
    var info: DlInfo = undefined;
    if (dladdr(@ptrCast(&pinSelf), &info) == 0) return false;
    const path = info.dli_fname orelse return false;
    const handle = std.c.dlopen(path, .{ .LAZY = true, .NOLOAD = true, .NODELETE = true });
    return handle != null;
}
