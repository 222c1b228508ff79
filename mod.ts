/**
 * mlx-ts: MLX-style arrays and machine learning for TypeScript on Deno and Bun.
 *
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[1, 2], [3, 4]]);
 * const b = mx.sum(mx.multiply(a, a), { axis: 0 });
 * console.log(String(b)); // array([10, 20], dtype=float32)
 * ```
 *
 * @module
 */

export { array, type ArrayData, type ArrayLike, MxArray } from "./src/array.ts";
export {
  bfloat16,
  bool,
  complex64,
  Dtype,
  type DtypeCategory,
  type DtypeName,
  dtypes,
  float16,
  float32,
  float64,
  int16,
  int32,
  int64,
  int8,
  uint16,
  uint32,
  uint64,
  uint8,
} from "./src/dtype.ts";
export { MxError, type MxErrorCode } from "./src/errors.ts";
export type { Complex, NestedList, Scalar, TypedArray } from "./src/host.ts";
export { astype, asyncEval, evaluate as eval, isEvaluated } from "./src/ops.ts";
export { dispose, keep, tidy } from "./src/scope.ts";
export {
  all,
  allclose,
  any,
  arrayEqual,
  argmax,
  argmin,
  type ArgReduceOptions,
  type CloseOptions,
  cummax,
  cummin,
  isclose,
  cumprod,
  cumsum,
  logcumsumexp,
  logsumexp,
  max,
  mean,
  min,
  prod,
  type ReduceOptions,
  type ScanOptions,
  softmax,
  std,
  sum,
  trace,
  variance,
  variance as var,
  type VarianceOptions,
} from "./src/reductions.ts";
export * from "./src/elementwise.ts";
export {
  atleast1d,
  atleast2d,
  atleast3d,
  broadcastArrays,
  broadcastShapes,
  broadcastTo,
  copy,
  expandDims,
  flatten,
  flip,
  moveaxis,
  reshape,
  type ShapeLike,
  squeeze,
  swapaxes,
  transpose,
  type TransposeOptions,
  unflatten,
} from "./src/shapes.ts";
export * from "./src/creation.ts";
export {
  at,
  diag,
  diagonal,
  type Index,
  index,
  IndexedUpdate,
  newaxis,
  putAlongAxis,
  type Slice,
  slice,
  sliceUpdate,
  take,
  takeAlongAxis,
} from "./src/indexing.ts";
export {
  concatenate,
  type ConcatenateOptions,
  pad,
  type PadOptions,
  type PadWidth,
  repeat,
  type RepeatOptions,
  roll,
  type RollOptions,
  split,
  stack,
  tile,
} from "./src/joining.ts";
export { addmm, type AddmmOptions, inner, kron, matmul, outer, tensordot } from "./src/linalg_basic.ts";
export { asStrided, type AsStridedOptions } from "./src/as_strided.ts";
export { einsum, einsumPath } from "./src/einsum.ts";
export {
  dequantize,
  type DequantizeOptions,
  gatherQmm,
  type GatherQmmOptions,
  type QuantizationMode,
  type QuantizationOptions,
  quantize,
  quantizedMatmul,
  type QuantizedMatmulOptions,
} from "./src/quantized.ts";
export * as linalg from "./src/linalg.ts";
export * as utils from "./src/utils.ts";
export * as nn from "./src/nn/mod.ts";
export * as data from "./src/data/mod.ts";
export * as optimizers from "./src/optimizers/mod.ts";
export * as models from "./src/models/mod.ts";
export * as fast from "./src/fast.ts";
export {
  checkpoint,
  customFunction,
  type CustomFunctionOptions,
  type CustomJvp,
  type CustomVjp,
  type CustomVmap,
  grad,
  type GradOptions,
  type InAxes,
  jvp,
  type Tree,
  valueAndGrad,
  vjp,
  vmap,
  type VmapOptions,
} from "./src/transforms.ts";
export {
  compile,
  compiledStepCount,
  type CompileOptions,
  disableCompile,
  enableCompile,
} from "./src/compile.ts";
export {
  conv1d,
  conv2d,
  conv3d,
  convGeneral,
  type ConvGeneralOptions,
  type ConvOptions,
  convTranspose1d,
  convTranspose2d,
  convTranspose3d,
  type ConvTransposeOptions,
  type SpatialParam,
} from "./src/conv.ts";
export { argpartition, argsort, partition, sort, type SortOptions, topk } from "./src/sorting.ts";
export * as fft from "./src/fft.ts";
export * as memory from "./src/memory.ts";
export * as random from "./src/random.ts";
export {
  cpu,
  defaultDevice,
  defaultStream,
  Device,
  gpu,
  isAvailable,
  newStream,
  type OpOptions,
  setDefaultDevice,
  Stream,
  type StreamOrDevice,
  withStream,
} from "./src/device.ts";
export { libraryPath, native as _native } from "./ffi/loader.ts";
export {
  type GgufValue,
  load,
  loadBytes,
  type LoadFormat,
  type LoadOptions,
  type LoadResult,
  type NamedArrays,
  save,
  saveBytes,
  savez,
  savezCompressed,
  saveGguf,
  saveSafetensors,
} from "./src/io/mod.ts";
