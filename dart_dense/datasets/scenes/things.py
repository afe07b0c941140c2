"""Things: the six shapes (and unlabelled clutter blobs), sampled and painted antialiased."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

from .background import hsv_colour
from .style import THING_SHAPES

# Mean hue (degrees) of each thing shape, 60° apart; the per-object jitter below (σ = 30°)
# makes neighbours overlap, so colour is a hint, not an answer.
_THING_HUES = (0.0, 60.0, 120.0, 180.0, 240.0, 300.0)
_HUE_JITTER = 30.0
# Objects are resampled (a few times) when their colour is closer than this to the background
# under them, so that tiny objects do not vanish into it.
_MIN_CONTRAST = 60.0
_SUPERSAMPLE = 4
_FIXED_POINT_SHIFT = 4  # cv2.fillPoly fractional bits: subpixel-accurate polygon edges


@dataclass(frozen=True)
class ObjectSpec:
    """One object to draw: its geometry relative to its centre, its position and its colour.

    Moving an object (video) is ``dataclasses.replace(spec, center=...)``; the shape stays put.

    Args:
        kind: index into :data:`THING_SHAPES`, or -1 for an unlabelled clutter blob.
        center: (x, y) in pixels; pixel (i, j) covers [j, j+1) × [i, i+1).
        polygons: ((K, 2) float64 vertices (x, y) relative to ``center``, fill value) pairs,
            filled in order; a ring is its outer disc filled with 1, then its hole with 0.
        radius: largest vertex distance from the centre, in pixels.
        colour: RGB in [0, 255].
        shading: (gx, gy) relative brightness change per radius along x and y (a soft light).
    """

    kind: int
    center: tuple[float, float]
    polygons: tuple[tuple[np.ndarray, int], ...]
    radius: float
    colour: tuple[float, float, float]
    shading: tuple[float, float]


def _circle(radius: float, n: int = 48) -> np.ndarray:
    a = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    return radius * np.stack([np.cos(a), np.sin(a)], axis=1)


def _rotate(points: np.ndarray, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return points @ np.array([[c, s], [-s, c]])


def _shape_polygons(rng: np.random.Generator, kind: int,
                    radius: float) -> tuple[tuple[np.ndarray, int], ...]:
    """Vertices (relative to the centre) and fill values of one shape of the given radius."""
    angle = rng.uniform(0.0, 2 * np.pi)
    if kind < 0:  # clutter blob: a circle with a smoothly wobbling radius
        a = np.linspace(0.0, 2 * np.pi, 24, endpoint=False)
        wobble = sum(rng.uniform(-0.2, 0.2) * np.cos(k * a + rng.uniform(0, 2 * np.pi))
                     for k in (2, 3))
        r = radius * (1.0 + wobble) / 1.4
        return ((np.stack([r * np.cos(a), r * np.sin(a)], axis=1), 1), )
    shape = THING_SHAPES[kind]
    if shape == 'disc':
        return ((_circle(radius), 1), )
    if shape == 'ring':
        return ((_circle(radius), 1), (_circle(radius * rng.uniform(0.45, 0.65)), 0))
    if shape == 'rectangle':
        half = np.array([1.0, rng.uniform(0.45, 1.0)]) * radius / math.sqrt(2.0)
        corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * half
        return ((_rotate(corners, angle), 1), )
    if shape == 'triangle':
        a = angle + np.arange(3) * 2 * np.pi / 3 + rng.uniform(-0.15, 0.15, size=3)
        return ((radius * np.stack([np.cos(a), np.sin(a)], axis=1), 1), )
    if shape == 'star':
        a = angle + np.arange(10) * np.pi / 5
        r = np.where(np.arange(10) % 2 == 0, radius, radius * rng.uniform(0.38, 0.5))
        return ((np.stack([r * np.cos(a), r * np.sin(a)], axis=1), 1), )
    # cross ("plus"): 12 vertices, arm half-width w, arm length = radius / sqrt(1 + w²/r²) ~ r
    w = rng.uniform(0.28, 0.4)
    arm = 1.0 / math.sqrt(1.0 + w * w)
    w *= arm
    unit = np.array([[-w, -arm], [w, -arm], [w, -w], [arm, -w], [arm, w], [w, w], [w, arm],
                     [-w, arm], [-w, w], [-arm, w], [-arm, -w], [-w, -w]])
    return ((_rotate(unit * radius, angle), 1), )


def sample_object(rng: np.random.Generator, kind: int, diameter: float, height: int,
                  width: int, background: Optional[np.ndarray] = None) -> ObjectSpec:
    """Samples a thing (``kind`` >= 0) or an unlabelled clutter blob (``kind`` = -1).

    The centre is uniform over the image, kept at least half a radius inside it, so large
    objects stay mostly in view. The colour is drawn from the class's hue distribution and
    redrawn (up to 8 times) while it is too close to the background under the object.

    Args:
        rng: source of every random choice.
        kind: index into :data:`THING_SHAPES`, or -1 for clutter.
        diameter: object diameter in pixels.
        height: image height in pixels.
        width: image width in pixels.
        background: (H, W, 3) float32 RGB to check the contrast against, or None.

    Returns:
        ObjectSpec: the object, ready for :func:`draw_object`.
    """
    radius = max(diameter, 1.0) / 2.0
    margin_x, margin_y = min(radius / 2, width / 2), min(radius / 2, height / 2)
    center = (float(rng.uniform(margin_x, width - margin_x)),
              float(rng.uniform(margin_y, height - margin_y)))
    polygons = _shape_polygons(rng, kind, radius)
    under = None
    if background is not None:
        x, y = int(min(center[0], width - 1)), int(min(center[1], height - 1))
        r = max(int(radius), 1)
        under = background[max(y - r, 0):y + r + 1, max(x - r, 0):x + r + 1].reshape(-1, 3)
        under = under.mean(0)
    for _ in range(8):
        if kind < 0:  # clutter: any hue, muted
            colour = hsv_colour(rng.uniform(0, 360), rng.uniform(0.0, 0.5), rng.uniform(0.2, 0.9))
        else:
            colour = hsv_colour(_THING_HUES[kind] + rng.normal(0.0, _HUE_JITTER),
                          rng.uniform(0.45, 1.0), rng.uniform(0.45, 1.0))
        if under is None or np.linalg.norm(colour - under) >= _MIN_CONTRAST:
            break
    shading = tuple(float(v) for v in rng.uniform(-0.15, 0.15, size=2))
    return ObjectSpec(kind=kind, center=center, polygons=polygons, radius=radius,
                      colour=tuple(float(c) for c in colour), shading=shading)


def draw_object(image: np.ndarray,
                spec: ObjectSpec) -> Optional[tuple[tuple[slice, slice], np.ndarray]]:
    """Paints an object onto a float RGB image, in place, antialiased.

    Coverage is computed on a 4× supersampled window around the object; the image gets the
    coverage as alpha, the returned mask is coverage >= 0.5 (what label maps should record).

    Args:
        image: (H, W, 3) float32 RGB, modified in place.
        spec: the object.

    Returns:
        tuple or None: ((row slice, column slice) of the window in the image, (h, w) bool mask
        of the object inside that window), or None when the object is entirely outside.
    """
    height, width = image.shape[:2]
    cx, cy = spec.center
    x0, x1 = max(math.floor(cx - spec.radius) - 1, 0), min(math.ceil(cx + spec.radius) + 1, width)
    y0, y1 = max(math.floor(cy - spec.radius) - 1, 0), min(math.ceil(cy + spec.radius) + 1,
                                                           height)
    if x0 >= x1 or y0 >= y1:
        return None
    h, w, s = y1 - y0, x1 - x0, _SUPERSAMPLE
    coverage = np.zeros((h * s, w * s), np.uint8)
    scale = float(1 << _FIXED_POINT_SHIFT)
    for vertices, value in spec.polygons:
        # supersampled pixel k covers [k/s, (k+1)/s): its centre, cv2's integer point, is at
        # image coordinate (k + 0.5) / s
        pts = ((vertices + (cx - x0, cy - y0)) * s - 0.5) * scale
        cv2.fillPoly(coverage, [np.round(pts).astype(np.int32)], int(value), cv2.LINE_8,
                     _FIXED_POINT_SHIFT)
    alpha = coverage.reshape(h, s, w, s).mean(axis=(1, 3), dtype=np.float32)
    if not alpha.any():
        return None
    ys = (np.arange(y0, y1, dtype=np.float32) + 0.5 - cy) / spec.radius
    xs = (np.arange(x0, x1, dtype=np.float32) + 0.5 - cx) / spec.radius
    light = 1.0 + spec.shading[0] * xs[None, :] + spec.shading[1] * ys[:, None]
    colour = np.asarray(spec.colour, np.float32) * light[..., None]
    window = image[y0:y1, x0:x1]
    window += alpha[..., None] * (colour - window)
    return (slice(y0, y1), slice(x0, x1)), alpha >= 0.5
