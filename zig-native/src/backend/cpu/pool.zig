//! The native thread pool: `threads - 1` workers started on first use, plus the calling
//! thread. `parallelFor` splits a range of work units into chunks that threads claim from an
//! atomic counter, and returns when all are done. One parallel job runs at a time.
//!
//! Waking a sleeping thread costs tens of microseconds (more in a VM), as much as a whole
//! elementwise op on a megabyte: so a worker that finishes a job, and a caller waiting for
//! its workers, spin for `spin_ns` before sleeping on the condition variable (OpenMP
//! runtimes do the same). Ops run back to back find the workers awake.

const std = @import("std");
const assert = std.debug.assert;
const pin = @import("pin.zig");

/// Most threads the pool will use, whatever the machine has.
pub const threads_max = 64;

pub const RangeFn = *const fn (context: *const anyopaque, start: usize, end: usize) void;

const Job = struct {
    function: RangeFn,
    context: *const anyopaque,
    total: usize,
    chunk_units: usize,
    next_start: std.atomic.Value(usize),
    chunks_left: std.atomic.Value(usize),
};

var start_once = std.once(startWorkers);
var workers: [threads_max]std.Thread = undefined;
var worker_count: usize = 0;

var job_mutex: std.Thread.Mutex = .{};
var serial_mutex: std.Thread.Mutex = .{};
var work_ready: std.Thread.Condition = .{};
var work_done: std.Thread.Condition = .{};
var current_job: ?*Job = null;
/// Changed (under `job_mutex`) when a job is posted; read without it while spinning.
var job_generation: std.atomic.Value(u64) = .init(0);
/// Workers holding a pointer to `current_job` (changed under `job_mutex`); the job (on the
/// caller's stack) must outlive them, so `parallelFor` waits for this to reach 0.
var workers_in_job: std.atomic.Value(usize) = .init(0);
/// How long an idle worker, or a caller waiting for workers, spins before sleeping.
const spin_ns = 200 * std.time.ns_per_us;

/// Spins until `done()` holds or `spin_ns` passes; whether it holds.
inline fn spinUntil(comptime done: anytype, args: anytype) bool {
    const started = std.time.Instant.now() catch return @call(.auto, done, args);
    while (true) {
        for (0..64) |_| {
            if (@call(.auto, done, args)) return true;
            std.atomic.spinLoopHint();
        }
        const now = std.time.Instant.now() catch return @call(.auto, done, args);
        if (now.since(started) >= spin_ns) return @call(.auto, done, args);
    }
}

fn generationChanged(seen: u64) bool {
    return job_generation.load(.acquire) != seen;
}

fn jobFinished(job: *const Job) bool {
    return job.chunks_left.load(.acquire) == 0 and workers_in_job.load(.acquire) == 0;
}

/// Number of threads (workers plus the caller) parallel work is split across.
pub fn threadCount() usize {
    start_once.call();
    return worker_count + 1;
}

fn configuredThreadCount() usize {
    if (std.posix.getenv("MLXTS_NUM_THREADS")) |text| {
        const requested = std.fmt.parseInt(usize, text, 10) catch 0;
        if (requested > 0) return @min(requested, threads_max);
    }
    const cpus = std.Thread.getCpuCount() catch 1;
    return @max(1, @min(cpus, threads_max));
}

fn startWorkers() void {
    // Threads must not outlive the code they run: without the pin, stay single-threaded.
    if (!pin.pinSelf()) return;
    const wanted = configuredThreadCount() - 1;
    while (worker_count < wanted) {
        // A worker that cannot start just leaves the pool smaller.
        workers[worker_count] = std.Thread.spawn(.{}, workerMain, .{}) catch break;
        workers[worker_count].detach();
        worker_count += 1;
    }
}

fn workerMain() void {
    var seen_generation: u64 = 0;
    while (true) {
        _ = spinUntil(generationChanged, .{seen_generation});
        job_mutex.lock();
        while (job_generation.load(.monotonic) == seen_generation) work_ready.wait(&job_mutex);
        seen_generation = job_generation.load(.monotonic);
        const job = current_job orelse {
            job_mutex.unlock();
            continue;
        };
        _ = workers_in_job.fetchAdd(1, .monotonic);
        job_mutex.unlock();
        runChunks(job);
        job_mutex.lock();
        if (workers_in_job.fetchSub(1, .release) == 1) work_done.broadcast();
        job_mutex.unlock();
    }
}

fn runChunks(job: *Job) void {
    while (true) {
        const start = job.next_start.fetchAdd(job.chunk_units, .monotonic);
        if (start >= job.total) return;
        const end = @min(start + job.chunk_units, job.total);
        job.function(job.context, start, end);
        if (job.chunks_left.fetchSub(1, .acq_rel) == 1) {
            job_mutex.lock();
            work_done.broadcast();
            job_mutex.unlock();
        }
    }
}

/// Calls `function(context, start, end)` over disjoint ranges covering [0, total), in
/// parallel when `total` is at least `2 * min_units_per_chunk`. Ranges are multiples of
/// `min_units_per_chunk` except the last.
pub fn parallelFor(
    total: usize,
    min_units_per_chunk: usize,
    context: *const anyopaque,
    function: RangeFn,
) void {
    assert(min_units_per_chunk > 0);
    if (total == 0) return;
    const threads = threadCount();
    if (threads == 1 or total < 2 * min_units_per_chunk) {
        function(context, 0, total);
        return;
    }
    serial_mutex.lock();
    defer serial_mutex.unlock();
    const chunk_count_wanted = @min(threads * 4, total / min_units_per_chunk);
    const chunk_units = std.mem.alignForward(
        usize,
        std.math.divCeil(usize, total, chunk_count_wanted) catch unreachable,
        min_units_per_chunk,
    );
    const chunk_count = std.math.divCeil(usize, total, chunk_units) catch unreachable;
    var job: Job = .{
        .function = function,
        .context = context,
        .total = total,
        .chunk_units = chunk_units,
        .next_start = .init(0),
        .chunks_left = .init(chunk_count),
    };
    job_mutex.lock();
    current_job = &job;
    _ = job_generation.fetchAdd(1, .release);
    work_ready.broadcast();
    job_mutex.unlock();

    runChunks(&job);

    _ = spinUntil(jobFinished, .{&job});
    job_mutex.lock();
    while (!jobFinished(&job)) work_done.wait(&job_mutex);
    current_job = null;
    job_mutex.unlock();
}

const TestContext = struct { hits: []std.atomic.Value(u32) };

fn markRange(context: *const anyopaque, start: usize, end: usize) void {
    const test_context: *const TestContext = @ptrCast(@alignCast(context));
    for (start..end) |index| _ = test_context.hits[index].fetchAdd(1, .monotonic);
}

test "parallelFor covers every unit exactly once" {
    var hits: [10_007]std.atomic.Value(u32) = undefined;
    for (&hits) |*hit| hit.* = .init(0);
    const context: TestContext = .{ .hits = &hits };
    for (0..50) |_| parallelFor(hits.len, 64, &context, markRange);
    for (hits) |hit| try std.testing.expectEqual(@as(u32, 50), hit.load(.monotonic));
}
