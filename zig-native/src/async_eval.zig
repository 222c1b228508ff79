//! Evaluation on a background thread, so a JavaScript event loop is not blocked: a job holds
//! references to its arrays, evaluates them on its own thread, and records its status and
//! error message for the caller to poll. At most `jobs_max` jobs are alive at once.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("errors.zig");
const graph = @import("graph.zig");
const Array = @import("array.zig").Array;

pub const jobs_max = 64;
/// Most arrays one job evaluates.
pub const arrays_max = 4096;
const message_capacity_bytes = 512;

pub const Progress = enum(u8) { free, running, done };

const Job = struct {
    progress: std.atomic.Value(Progress),
    /// The error of a failed job (null when it succeeded); valid once done.
    failure: ?errors.Error,
    message: [message_capacity_bytes]u8,
    message_length: usize,
    arrays: [arrays_max]*Array,
    array_count: usize,
};

var mutex: std.Thread.Mutex = .{};
var jobs: [jobs_max]Job = undefined;
var jobs_initialized = false;

fn slotsInitialized() void {
    if (jobs_initialized) return;
    for (&jobs) |*job| job.progress = .init(.free);
    jobs_initialized = true;
}

/// Starts evaluating `arrays` (the job takes one reference to each) and returns the job id
/// (1-based). On failure the references are released.
pub fn start(arrays: []const *Array) errors.Error!u32 {
    assert(arrays.len <= arrays_max);
    mutex.lock();
    slotsInitialized();
    const index = for (&jobs, 0..) |*job, i| {
        if (job.progress.load(.acquire) == .free) break i;
    } else {
        mutex.unlock();
        for (arrays) |a| a.release();
        return errors.fail(error.LimitExceeded, "[asyncEval] more than {d} evaluations are " ++
            "running at once", .{jobs_max});
    };
    const job = &jobs[index];
    job.progress.store(.running, .release);
    mutex.unlock();
    @memcpy(job.arrays[0..arrays.len], arrays);
    job.array_count = arrays.len;
    job.failure = null;
    job.message_length = 0;
    const thread = std.Thread.spawn(.{}, run, .{job}) catch {
        for (arrays) |a| a.release();
        job.progress.store(.free, .release);
        return errors.fail(error.OutOfMemory, "[asyncEval] could not start a thread", .{});
    };
    thread.detach();
    return @intCast(index + 1);
}

fn run(job: *Job) void {
    graph.eval(job.arrays[0..job.array_count]) catch |err| {
        job.failure = err;
        const message = errors.message();
        const count = @min(message.len, message_capacity_bytes);
        @memcpy(job.message[0..count], message[0..count]);
        job.message_length = count;
    };
    for (job.arrays[0..job.array_count]) |a| a.release();
    job.progress.store(.done, .release);
}

fn find(id: u32) errors.Error!*Job {
    if (id == 0 or id > jobs_max or !jobs_initialized or jobs[id - 1].progress.load(.acquire) == .free) {
        return errors.fail(error.InvalidHandle, "[asyncEval] no evaluation job {d}", .{id});
    }
    return &jobs[id - 1];
}

/// false while the job runs, true once it succeeded; its error (with its message on the
/// calling thread) once it failed.
pub fn poll(id: u32) errors.Error!bool {
    const job = try find(id);
    if (job.progress.load(.acquire) != .done) return false;
    if (job.failure) |err| {
        return errors.fail(err, "{s}", .{job.message[0..job.message_length]});
    }
    return true;
}

/// Frees a finished job's slot; a running job cannot be freed.
pub fn release(id: u32) errors.Error!void {
    const job = try find(id);
    if (job.progress.load(.acquire) != .done) {
        return errors.fail(error.InvalidArgument, "[asyncEval] job {d} is still running", .{id});
    }
    job.progress.store(.free, .release);
}
