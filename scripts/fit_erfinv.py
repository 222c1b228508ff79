"""Fits the two polynomials of vmath.zig's float32 erfinv and prints them as Zig arrays.

erfinv(y) = y P(w) with w = -log(1 - y^2): P is a polynomial in w on [0, 5] (|y| < 0.9966) and
in sqrt(w) on [sqrt(5), 4] (the rest of float32's (-1, 1)), both in the variable mapped to
[-1, 1]. Each interpolates P at Chebyshev nodes in 40-digit arithmetic (mpmath), and the
printed maximum relative error is measured with float64 Horner evaluation on a dense grid.

usage: python scripts/fit_erfinv.py   (needs mpmath and numpy; the bench's Python has both)
"""

import mpmath as mp
import numpy as np

mp.mp.dps = 40
DEGREE = 14
W_SPLIT = 5
S_MAX = 4


def ratio_of_w(w):
    """erfinv(y) / y for w = -log(1 - y^2)."""
    y = mp.sqrt(-mp.expm1(-mp.mpf(w)))
    return mp.erfinv(y) / y


def monomial_fit(f, low, high, degree):
    """Chebyshev interpolant of f on [low, high], as power-basis coefficients in t in [-1, 1]."""
    n = degree + 1
    ks = [(k + mp.mpf(1) / 2) / n for k in range(n)]
    values = [f((low + high) / 2 + (high - low) / 2 * mp.cos(mp.pi * k)) for k in ks]
    cheb = [mp.fsum(v * mp.cos(mp.pi * j * k) for v, k in zip(values, ks)) * (2 if j else 1) / n
            for j in range(n)]
    basis = [[mp.mpf(1)], [mp.mpf(0), mp.mpf(1)]]
    while len(basis) < n:
        nxt = [mp.mpf(0)] * (len(basis) + 1)
        for i, v in enumerate(basis[-1]):
            nxt[i + 1] += 2 * v
        for i, v in enumerate(basis[-2]):
            nxt[i] -= v
        basis.append(nxt)
    mono = [mp.mpf(0)] * n
    for c, poly in zip(cheb, basis):
        for i, v in enumerate(poly):
            mono[i] += c * v
    return [float(m) for m in mono]


def worst_relative_error(f, low, high, coefficients, samples=2000):
    worst = 0.0
    for k in range(samples):
        x = low + (high - low) * (k + 0.5) / samples
        t = (2 * np.float64(x) - (low + high)) / (high - low)
        approx = np.float64(coefficients[-1])
        for c in reversed(coefficients[:-1]):
            approx = approx * t + np.float64(c)
        exact = f(x)
        worst = max(worst, abs(float((mp.mpf(approx) - exact) / exact)))
    return worst


def main():
    central = monomial_fit(ratio_of_w, 0, W_SPLIT, DEGREE)
    tail_f = lambda s: ratio_of_w(mp.mpf(s) ** 2)
    s_low = float(mp.sqrt(W_SPLIT))
    tail = monomial_fit(tail_f, mp.sqrt(W_SPLIT), S_MAX, DEGREE)
    for name, coefficients, error in [
        ("erfinv_central", central, worst_relative_error(ratio_of_w, 0, W_SPLIT, central)),
        ("erfinv_tail", tail, worst_relative_error(tail_f, s_low, S_MAX, tail)),
    ]:
        print(f"/// max relative error {error:.1e}")
        print(f"const {name}_coefficients = [_]f64{{")
        for i in range(0, len(coefficients), 3):
            print("    " + " ".join(f"{float.hex(c)}," for c in coefficients[i:i + 3]))
        print("};")


if __name__ == "__main__":
    main()
