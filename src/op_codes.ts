/**
 * The native op codes: the position of each name is its code (the order of the Zig enums
 * `UnaryOp` and `BinaryOp`, and the sort family's `Op`). test/elementwise_test.ts and
 * test/sorting_test.ts check these lists against the library's own (`op_names`).
 *
 * @module
 */

/** Unary op names, in native code order. */
export const unaryOpNames = "abs,negative,sign,square,sqrt,rsqrt,reciprocal,exp,expm1,log,log2,log10,log1p,sin,cos,tan,arcsin,arccos,arctan,sinh,cosh,tanh,arcsinh,arccosh,arctanh,sigmoid,erf,erfinv,ceil,floor,round,logical_not,isnan,isinf,isfinite,isposinf,isneginf,bitwise_invert,degrees,radians,conjugate,real,imag,stop_gradient";
/** Binary op names, in native code order. */
export const binaryOpNames = "add,subtract,multiply,divide,floor_divide,remainder,power,maximum,minimum,logaddexp,arctan2,equal,not_equal,less,less_equal,greater,greater_equal,logical_and,logical_or,bitwise_and,bitwise_or,bitwise_xor,left_shift,right_shift";

/** Sorting op names (kind 5), in native code order. */
export const sortOpNames = "sort,argsort,partition,argpartition,topk";
