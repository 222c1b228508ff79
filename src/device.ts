/**
 * Devices and streams, as in MLX: `mx.cpu`, `mx.gpu`, the default device, streams, and a
 * `stream` option on ops. This build has the CPU backend only: asking for the GPU is an
 * `MxError` (code `unsupported`), never a silent fallback to the CPU.
 *
 * @module
 */

import { MxError } from "./errors.ts";

/** A compute device. */
export class Device {
  /** `"cpu"` or `"gpu"`. */
  readonly type: "cpu" | "gpu";
  readonly index: number;

  /** @internal Devices are `mx.cpu` and `mx.gpu`. */
  constructor(type: "cpu" | "gpu", index = 0) {
    this.type = type;
    this.index = index;
    Object.freeze(this);
  }

  toString(): string {
    return `Device(${this.type}, ${this.index})`;
  }
}

/** The CPU: always available. */
export const cpu: Device = new Device("cpu");
/** The GPU: not available in this build (using it throws). */
export const gpu: Device = new Device("gpu");

/** A queue of work on a device. */
export class Stream {
  readonly device: Device;
  readonly index: number;

  /** @internal Use `mx.defaultStream` or `mx.newStream`. */
  constructor(device: Device, index: number) {
    this.device = device;
    this.index = index;
    Object.freeze(this);
  }

  toString(): string {
    return `Stream(${this.device}, ${this.index})`;
  }
}

/** Where an op runs: a stream, or a device (its default stream). */
export type StreamOrDevice = Stream | Device;

/** Options every op accepts. */
export interface OpOptions {
  /** Where to run (default: the default device's stream). Only the CPU exists here. */
  stream?: StreamOrDevice;
}

let current: Device = cpu;
let streamCount = 1;

/**
 * Whether a device can be used in this build (the CPU: yes; the GPU: no).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(mx.isAvailable(mx.cpu), mx.isAvailable(mx.gpu)); // true false
 * ```
 */
export function isAvailable(device: Device): boolean {
  return device.type === "cpu";
}

function requireAvailable(op: string, device: Device): void {
  if (!isAvailable(device)) {
    throw new MxError(
      "unsupported",
      `[${op}] ${device} is not available: this build has the CPU backend only (no Metal or CUDA); use mx.cpu`,
    );
  }
}

/**
 * The device ops run on by default.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.defaultDevice())); // Device(cpu, 0)
 * ```
 */
export function defaultDevice(): Device {
  return current;
}

/**
 * Sets the default device; the GPU is an error in this build.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * mx.setDefaultDevice(mx.cpu);
 * ```
 */
export function setDefaultDevice(device: Device): void {
  requireAvailable("setDefaultDevice", device);
  current = device;
}

/**
 * The default stream of a device (default: the default device).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * console.log(String(mx.defaultStream())); // Stream(Device(cpu, 0), 0)
 * ```
 */
export function defaultStream(device: Device = current): Stream {
  requireAvailable("defaultStream", device);
  return new Stream(device, 0);
}

/**
 * A new stream on a device. On the CPU all streams run in order on the calling thread (or the
 * thread of `asyncEval`).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const s = mx.newStream(mx.cpu);
 * console.log(mx.add(mx.array([1]), 1, { stream: s }).item()); // 2
 * ```
 */
export function newStream(device: Device): Stream {
  requireAvailable("newStream", device);
  return new Stream(device, streamCount++);
}

/** @internal Validates an op's `stream` option, naming the op. */
export function checkStream(op: string, stream: StreamOrDevice | undefined): void {
  if (stream === undefined) return;
  const device = stream instanceof Stream ? stream.device : stream;
  if (!(device instanceof Device)) {
    throw new MxError("invalid_argument", `[${op}] stream must be an mx.Stream or mx.Device`);
  }
  requireAvailable(op, device);
}

/**
 * Runs `fn` with ops defaulting to `stream` (MLX's `with mx.stream(s):`).
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const y = mx.withStream(mx.cpu, () => mx.multiply(mx.array([2]), 3));
 * console.log(y.item()); // 6
 * ```
 */
export function withStream<T>(stream: StreamOrDevice, fn: () => T): T {
  checkStream("withStream", stream);
  const device = stream instanceof Stream ? stream.device : stream;
  const previous = current;
  current = device;
  try {
    return fn();
  } finally {
    current = previous;
  }
}
