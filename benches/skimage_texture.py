#!/usr/bin/env python3
"""Times scikit-image's texture functions on the same 12 MP image as benches/texture.rs.

Run by hand (not in CI):  pip install scikit-image numpy && python3 benches/skimage_texture.py
Prints MP/s for graycomatrix+graycoprops (4 angles, 32 levels, distance 1, symmetric) and
local_binary_pattern(P=8, R=1, 'uniform'). Single-threaded like the Rust bench (scikit-image's
Cython loops are single-threaded; numpy reductions on a 32x32 matrix are negligible).
"""
import time

import numpy as np
from skimage.feature import graycomatrix, graycoprops, local_binary_pattern

W, H = 4000, 3000


def synthetic():
    """Same image as benches/texture.rs: smooth shading + LCG noise (computed vectorised)."""
    n = W * H
    # LCG state sequence s_k = a*s_{k-1}+c mod 2^32, starting from 42; vectorised by jumping.
    a, c, m = 1103515245, 12345, 2**32
    s = np.empty(n, dtype=np.uint64)
    state = 42
    block = 1 << 16
    first = np.empty(block, dtype=np.uint64)
    for i in range(block):
        state = (a * state + c) % m
        first[i] = state
    # a^block and the matching increment let us advance whole blocks at once.
    ab, cb = 1, 0
    for _ in range(block):
        ab, cb = (a * ab) % m, (a * cb + c) % m
    cur = first.copy()
    for start in range(0, n, block):
        k = min(block, n - start)
        s[start:start + k] = cur[:k]
        cur = (cur * np.uint64(ab) + np.uint64(cb)) % np.uint64(m)
    noise = ((s >> np.uint64(16)) & np.uint64(31)).astype(np.float32) - 16.0
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    shade = 128.0 + 60.0 * (np.sin(x / 400.0) * np.cos(y / 300.0))
    return np.clip(shade + noise.reshape(H, W), 0, 255).astype(np.uint8)


def best_of(f, n=3):
    t = []
    for _ in range(n):
        t0 = time.perf_counter()
        f()
        t.append(time.perf_counter() - t0)
    return min(t)


def main():
    img = synthetic()
    mp = W * H / 1e6
    # FBN 32 over the image range, like the Rust bench (levels from 0 for scikit-image).
    lo, hi = int(img.min()), int(img.max())
    q = np.where(img < hi, np.floor(32 * (img.astype(np.float64) - lo) / (hi - lo)), 31).astype(np.uint8)
    angles = [0, np.pi / 4, np.pi / 2, 3 * np.pi / 4]

    def glcm():
        m = graycomatrix(q, [1], angles, levels=32, symmetric=True)
        for p in ["contrast", "dissimilarity", "homogeneity", "ASM", "energy", "correlation",
                  "mean", "variance", "std", "entropy"]:
            graycoprops(m, p)

    t_glcm = best_of(glcm)
    t_lbp = best_of(lambda: np.bincount(local_binary_pattern(img, 8, 1, "uniform").astype(np.int64).ravel(), minlength=10), 2)
    print(f"scikit-image graycomatrix+graycoprops (4 angles, 32 levels): {t_glcm*1e3:.0f} ms = {mp/t_glcm:.1f} MP/s")
    print(f"scikit-image local_binary_pattern (P=8, R=1, uniform) + histogram: {t_lbp*1e3:.0f} ms = {mp/t_lbp:.1f} MP/s")


if __name__ == "__main__":
    main()
