#!/usr/bin/env python3
"""Times the scikit-image pipelines a Python user would write instead of `scarscope analyze`.

Run by hand (not in CI; on one core a 12 MP photo takes seconds per repeat with the label
pipeline and over a minute with the blob_log one):

    pip install scikit-image
    python3 benches/skimage_pipeline.py [--repeat 3] [--pipeline label|blob_log|both]
                                        [--scarscope PATH] [photo.jpg]

Without a photo, a deterministic 4000x3000 skin-like JPEG (quality 90, fixed seed) is written to a
temporary folder: a skin-tone base with smooth shading, fine pore noise and a few dozen darker, redder
round spots of 5-60 px radius. `--scarscope` defaults to target/release/scarscope of this repository.
`--pipeline` picks which Python pipeline(s) to time (default both); scarscope is timed once per run
either way, and each pipeline gets its own row with its ratio to scarscope and the regions it found.

Two pipelines, both at the photo's full resolution and sharing steps 1, 2, 4 and 5:
  1. decode (Pillow), uint8 -> float32, skimage.color.rgb2lab;
  2. flatten the illumination: L minus skimage.filters.gaussian(L, sigma = 2 % of the long side),
     giving the darkness map (-flattened L), and the same for a*, giving the redness map;
  3. find the spots, one of two ways:
     label (the light one, what a user writes first): threshold each map at its median + 7 MAD
       (MAD scaled by 1.4826, i.e. about 7 robust standard deviations of the skin's own texture),
       take the union, skimage.morphology.opening with disk(2), remove_small_objects, then
       skimage.measure.label + regionprops (area, centroid, eccentricity, mean darkness and
       redness) and keep regions whose equivalent radius is 4-60 px. Median + k*MAD rather than
       threshold_otsu because the flattened maps are one mode (skin texture around 0) with the
       spots a thin tail: Otsu assumes two classes of comparable weight, and on the synthetic
       photo's darkness map it puts the threshold at about the median, marking half the image. k was
       tuned on the synthetic photo like blob_log's threshold: at 5 pore noise gives ~20 false
       regions, at 7 none, and every drawn spot is still found (two touching spots make one
       region). It misses spots whose contrast is below the threshold at their size, as any
       single threshold does;
     blob_log (the heavy one): multi-scale spot detection with skimage.feature.blob_log (sigma
       3-40, i.e. radius ~4-57 px, num_sigma=10) on the darkness and on the redness maps; a* spots
       already found in L are dropped. blob_log is what the scikit-image docs and tutorials point
       to for "find round spots of several sizes", finding spots scale by scale as scarscope does,
       and is the slowest pipeline a user might reasonably write;
  4. for each spot (at most 200, largest first), on an 8-bit crop of L around it: GLCM
     (graycomatrix, distance 1, 4 angles, 32 levels, symmetric, normed) with graycoprops
     contrast, homogeneity, energy and correlation, and a uniform LBP (P=8, R=1) histogram;
  5. the per-spot results serialised to JSON, as `scarscope analyze --json` does.
In the label pipeline almost all of the time is rgb2lab and the two large Gaussians; in the
blob_log pipeline it is blob_log (a Laplacian of Gaussian per sigma, then a 3-D maximum filter).

Neither pipeline is scarscope's algorithm, and their region counts are not a measure of accuracy:
scarscope picks its own, smaller working size and needs no scale (see the README), while these
pipelines work at full resolution, as a user following the scikit-image docs would.

Both sides run on one core: BLAS/OpenMP thread counts are set to 1 before numpy is imported, this
process is pinned to its first allowed CPU, and scarscope runs as `analyze FILE --json -j 1 -o
/dev/null` pinned to the same CPU. Each figure is the median wall time of --repeat runs (decode
included). Decode alone (Pillow open + load) is timed too, for context.
"""
import os

# Before numpy is imported, or its BLAS pool is already started with one thread per core.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import skimage
from PIL import Image
from skimage import measure, morphology
from skimage.color import rgb2lab
from skimage.feature import blob_log, graycomatrix, graycoprops, local_binary_pattern
from skimage.filters import gaussian

REPO = Path(__file__).resolve().parent.parent
W, H = 4000, 3000
MAX_REGIONS = 200
ANGLES = [0, np.pi / 4, np.pi / 2, 3 * np.pi / 4]
# The label pipeline: threshold in robust standard deviations, opening disk radius, and the
# plausible spot sizes as equivalent radii in px (blob_log's sigma 3-40 covers about the same).
MAD_K = 7.0
OPEN_RADIUS = 2
MIN_RADIUS, MAX_RADIUS = 4.0, 60.0


def synthetic_photo(path):
    """Writes the deterministic skin-like test photo to `path`."""
    rng = np.random.default_rng(20240613)
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    # Light falling off across the face plus a broad bump, so that flattening has work to do.
    shade = 0.85 + 0.15 * (x / W) - 0.10 * ((y - H / 2) / H) ** 2
    shade += 0.05 * np.sin(x / 700.0) * np.cos(y / 500.0)
    del x, y
    base = np.array([224.0, 172.0, 140.0], dtype=np.float32)  # a light-medium skin tone
    img = shade[..., None] * base
    # Pores: fine, mostly luminance noise with a little per-channel jitter.
    img += rng.normal(0.0, 4.0, (H, W, 1)).astype(np.float32)
    img += rng.normal(0.0, 1.5, (H, W, 3)).astype(np.float32)
    # Spots: darker and redder in the middle, fading out smoothly at their radius.
    tint = np.array([0.92, 0.78, 0.78], dtype=np.float32)
    for _ in range(40):
        r = float(rng.uniform(5, 60))
        cy, cx = rng.uniform(100, H - 100), rng.uniform(100, W - 100)
        y0, y1 = int(max(cy - r, 0)), int(min(cy + r + 1, H))
        x0, x1 = int(max(cx - r, 0)), int(min(cx + r + 1, W))
        yy, xx = np.mgrid[y0:y1, x0:x1]
        d = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2) / r
        w = np.clip(1.0 - d**2, 0.0, 1.0)[..., None].astype(np.float32)
        depth = float(rng.uniform(0.5, 1.0))
        img[y0:y1, x0:x1] *= 1.0 - depth * w * (1.0 - tint)
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path, quality=90)


def crop_features(l8, y, x, r):
    """GLCM properties and uniform-LBP histogram of the 8-bit L crop around one spot."""
    half = max(int(np.ceil(2 * r)), 8)  # the spot and a ring of surrounding skin
    crop = l8[max(y - half, 0):y + half + 1, max(x - half, 0):x + half + 1]
    glcm = graycomatrix(crop >> 3, [1], ANGLES, levels=32, symmetric=True, normed=True)
    props = {p: float(graycoprops(glcm, p).mean())
             for p in ("contrast", "homogeneity", "energy", "correlation")}
    lbp = local_binary_pattern(crop, P=8, R=1, method="uniform")
    hist, _ = np.histogram(lbp, bins=10, range=(0, 10), density=True)
    return props, hist.tolist()


def flattened(path):
    """Steps 1-2: L, the darkness map (-flattened L) and the redness map (flattened a*)."""
    rgb = np.asarray(Image.open(path).convert("RGB"))
    lab = rgb2lab(rgb.astype(np.float32) / 255.0)  # float32 keeps the 12 MP planes at 48 MB each
    L, a = lab[..., 0], lab[..., 1]
    sigma = 0.02 * max(L.shape)
    darkness = gaussian(L, sigma=sigma, preserve_range=True) - L
    redness = a - gaussian(a, sigma=sigma, preserve_range=True)
    return L, darkness, redness


def describe_spots(path, L, spots):
    """Steps 4-5: adds crop_features to each spot dict (y, x, radius_px, ...; largest first, at
    most MAX_REGIONS); returns the JSON text and the number of regions."""
    l8 = np.clip(L * 2.55, 0, 255).astype(np.uint8)
    regions = []
    for spot in spots[:MAX_REGIONS]:
        props, hist = crop_features(l8, spot["y"], spot["x"], spot["radius_px"])
        regions.append({**spot, **props, "lbp": hist})
    return json.dumps({"file": str(path), "regions": regions}), len(regions)


def blob_log_pipeline(path):
    """The blob_log analysis of one photo; returns the JSON text and the number of spots."""
    L, darkness, redness = flattened(path)
    # blob_log finds bright blobs: darkness is -L, redness is +a*. The threshold (scale-normalised
    # LoG, in L* or a* units) was tuned on the synthetic photo: at 1.0 pores already give false
    # spots, at 2.0 none, and every drawn spot is still found.
    dark = blob_log(darkness, min_sigma=3, max_sigma=40, num_sigma=10, threshold=2.0)
    red = blob_log(redness, min_sigma=3, max_sigma=40, num_sigma=10, threshold=2.0)
    if len(dark) and len(red):
        # A spot both dark and red is one spot; keep the L detection.
        d = np.hypot(red[:, None, 0] - dark[None, :, 0], red[:, None, 1] - dark[None, :, 1])
        red = red[(d > np.sqrt(2) * dark[None, :, 2]).all(axis=1)]
    blobs = np.vstack([b for b in (dark, red) if len(b)] or [np.empty((0, 3))])
    blobs = blobs[np.argsort(-blobs[:, 2], kind="stable")]  # largest first
    spots = [{"y": int(by), "x": int(bx), "radius_px": float(bs) * np.sqrt(2)}
             for by, bx, bs in blobs[:MAX_REGIONS]]
    return describe_spots(path, L, spots)


def robust_threshold(x):
    """Median + MAD_K robust standard deviations (1.4826 MAD) of the whole map."""
    med = np.median(x)
    return med + MAD_K * 1.4826 * np.median(np.abs(x - med))


def remove_small(mask, min_area):
    """remove_small_objects dropping objects under min_area px, in old and new scikit-image."""
    try:  # 0.26 deprecates min_size (drops smaller) for max_size (drops smaller or equal)
        return morphology.remove_small_objects(mask, max_size=min_area - 1)
    except TypeError:
        return morphology.remove_small_objects(mask, min_size=min_area)


def label_pipeline(path):
    """The threshold + label analysis of one photo; returns the JSON text and the number of spots."""
    L, darkness, redness = flattened(path)
    mask = (darkness > robust_threshold(darkness)) | (redness > robust_threshold(redness))
    mask = morphology.opening(mask, morphology.disk(OPEN_RADIUS))  # pore-sized specks go
    min_area, max_area = np.pi * MIN_RADIUS**2, np.pi * MAX_RADIUS**2
    mask = remove_small(mask, int(np.ceil(min_area)))
    labels = measure.label(mask)
    maps = np.stack([darkness, redness], axis=-1)
    spots = []
    for p in measure.regionprops(labels, intensity_image=maps):
        if not min_area <= p.area <= max_area:
            continue
        cy, cx = p.centroid
        mean_dark, mean_red = p.intensity_mean
        spots.append({"y": int(round(cy)), "x": int(round(cx)),
                      "radius_px": float(np.sqrt(p.area / np.pi)), "area_px": int(p.area),
                      "eccentricity": float(p.eccentricity),
                      "mean_darkness": float(mean_dark), "mean_redness": float(mean_red)})
    spots.sort(key=lambda s: -s["area_px"])  # largest first (stable: label order on ties)
    return describe_spots(path, L, spots)


PIPELINES = {"label": label_pipeline, "blob_log": blob_log_pipeline}


def timed(f, repeat):
    """Median wall time in seconds of `repeat` calls, and the last call's result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("photo", nargs="?", help="a JPEG (default: a synthetic 12 MP photo)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    ap.add_argument("--scarscope", default=str(REPO / "target/release/scarscope"))
    ap.add_argument("--pipeline", choices=("label", "blob_log", "both"), default="both",
                    help="which scikit-image pipeline(s) to time (default both)")
    args = ap.parse_args()
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if args.photo is not None and not os.path.isfile(args.photo):
        ap.error(f"no such photo: {args.photo}")
    if not os.access(args.scarscope, os.X_OK):
        ap.error(f"no scarscope binary at {args.scarscope} (cargo build --release, or --scarscope)")

    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})

    with tempfile.TemporaryDirectory() as tmp:
        photo = args.photo
        if photo is None:
            photo = os.path.join(tmp, "synthetic_12mp.jpg")
            synthetic_photo(photo)

        def decode():
            with Image.open(photo) as im:
                im.load()
                return im.size

        t_decode, (w, h) = timed(decode, args.repeat)
        names = list(PIPELINES) if args.pipeline == "both" else [args.pipeline]
        py = {}  # name -> (median seconds, regions found)
        for name in names:
            t, (_, n) = timed(lambda: PIPELINES[name](photo), args.repeat)
            py[name] = (t, n)

        def scarscope(out="/dev/null"):
            cmd = [args.scarscope, "analyze", photo, "--json", "-j", "1", "-o", out]
            # stderr is kept for error messages only (and so that log lines do not split the table).
            r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
            if r.returncode != 0:
                sys.exit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-2000:]}")

        # Untimed: loads the binary into the page cache and checks that it analysed the photo.
        report = os.path.join(tmp, "scarscope.json")
        scarscope(report)
        with open(report) as f:
            image = json.load(f)["images"][0]
        if image["status"] != "ok":
            sys.exit(f"scarscope could not analyse {photo}: status {image['status']}")
        t_rs, _ = timed(scarscope, args.repeat)

    print(f"photo             {photo if args.photo else 'synthetic'} ({w}x{h})")
    print(f"cpu               {cpu} (one core), median of {args.repeat}")
    print(f"python            {platform.python_version()}")
    print(f"numpy             {np.__version__}")
    print(f"scikit-image      {skimage.__version__}")
    print(f"{'figure':<34}{'ms':>10}{'vs scarscope':>14}{'regions':>9}")
    print(f"{'pillow decode (open + load)':<34}{t_decode * 1e3:>10.1f}")
    for name, (t, n) in py.items():
        print(f"{'scikit-image ' + name + ' pipeline':<34}{t * 1e3:>10.1f}{t / t_rs:>13.1f}x{n:>9}")
    n_rs = len(image["regions"])
    print(f"{'scarscope analyze -j 1':<34}{t_rs * 1e3:>10.1f}{1.0:>13.1f}x{n_rs:>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
