"""Deterministic synthetic scenes: the one rendering core behind every demo dataset.

A scene is a large background region ("stuff": plain wall, gradient sky, low-frequency floor or
grass texture, or a sky/ground split with a wavy horizon) with objects ("things") of six shapes
painted on it, from tiny (a few pixels) to about a third of the image side, most of them small.
That is the regime where content-adaptive tokens matter: a fixed 16×16 grid spends most of its
tokens on plain background and cannot resolve a 5-pixel star.

Class evidence is deliberately mixed: every thing class has its own mean hue, but the hue jitter
is wide enough that neighbouring classes overlap, so colour alone does not give the class away and
a model has to look at the shape, which needs resolution at small sizes.

Everything is drawn in float RGB, antialiased by 4× supersampling, and the label maps use the
same coverage (a pixel belongs to an object when at least half of it is covered), so labels and
pixels agree at every size. Every random choice comes from the ``numpy.random.Generator`` that is
passed in: the same generator state gives the same arrays, bit for bit.

The writers in :mod:`.ade20k_demo`, :mod:`.coco_demo` and :mod:`.video_demo` only map these
scene classes to their dataset's label ids and write files; none of them draws anything itself.
"""
from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

__all__ = [
    'STUFF_CLASSES', 'THING_SHAPES', 'SCENE_CLASSES', 'THING_OFFSET', 'DIFFICULTIES',
    'RENDER_VERSION', 'SceneStyle', 'ObjectSpec', 'Scene', 'check_size', 'get_style',
    'render_background', 'sample_object', 'draw_object', 'finish_image', 'render_scene',
    'mask_to_polygons',
]

# Bump whenever the pixels a seed produces change: the writers record it in their marker file,
# so data written by an older renderer is regenerated instead of silently reused.
RENDER_VERSION = 1

STUFF_CLASSES: tuple[str, ...] = ('wall', 'sky', 'floor', 'grass')
THING_SHAPES: tuple[str, ...] = ('disc', 'rectangle', 'triangle', 'ring', 'star', 'cross')
# Semantic ids of a scene: 0 = "other" (unlabelled clutter and fragments too small to annotate),
# then the stuff classes, then the thing shapes.
SCENE_CLASSES: tuple[str, ...] = ('other', ) + STUFF_CLASSES + THING_SHAPES
THING_OFFSET = 1 + len(STUFF_CLASSES)

# Mean hue (degrees) of each thing shape, 60° apart; the per-object jitter below (σ = 30°)
# makes neighbours overlap, so colour is a hint, not an answer.
_THING_HUES = (0.0, 60.0, 120.0, 180.0, 240.0, 300.0)
_HUE_JITTER = 30.0
# Objects are resampled (a few times) when their colour is closer than this to the background
# under them, so that tiny objects do not vanish into it.
_MIN_CONTRAST = 60.0
_SUPERSAMPLE = 4
_FIXED_POINT_SHIFT = 4  # cv2.fillPoly fractional bits: subpixel-accurate polygon edges
MIN_SIDE = 32


@dataclass(frozen=True)
class SceneStyle:
    """How many objects, and of which sizes, a scene gets.

    Object diameters are ``min_diameter * ratio ** (u ** size_skew)`` with ``u ~ U(0, 1)`` and
    ``ratio = max_diameter / min_diameter``: log-uniform for ``size_skew = 1``, more small objects
    for larger values. Every scene with objects also gets one large object with a diameter in
    ``large_diameter`` (fractions of the shorter image side), so each image spans the whole range.

    Args:
        min_diameter: smallest object diameter in pixels.
        max_diameter: largest sampled diameter as a fraction of the shorter image side.
        size_skew: exponent > 1 that pushes the diameters towards ``min_diameter``.
        objects_per_64k: mean object count per 256×256 pixels (scaled with the image area).
        large_diameter: (low, high) diameter of the one guaranteed large object, as fractions of
            the shorter side.
        max_clutter: at most this many unlabelled ("other") blobs per scene.
    """

    min_diameter: float
    max_diameter: float
    size_skew: float
    objects_per_64k: float
    large_diameter: tuple[float, float]
    max_clutter: int


DIFFICULTIES: dict[str, SceneStyle] = {
    # ~20 objects on 256×256, 4 px up to a third of the side, most under 15 px.
    'demo': SceneStyle(min_diameter=4.0, max_diameter=1 / 3, size_skew=2.0, objects_per_64k=20.0,
                       large_diameter=(0.25, 0.34), max_clutter=2),
    # For the evidence study: ~50 objects, 3 px up to a fifth of the side, mostly tiny.
    'hard': SceneStyle(min_diameter=3.0, max_diameter=0.2, size_skew=3.0, objects_per_64k=50.0,
                       large_diameter=(0.15, 0.2), max_clutter=3),
    # For the detection demo (a detector that learns in minutes on CPU): ~8 objects, 8 px up to
    # 0.4 of the side, log-uniform (about two thirds COCO-"small", under 32² px of area).
    'det': SceneStyle(min_diameter=8.0, max_diameter=0.4, size_skew=1.0, objects_per_64k=8.0,
                      large_diameter=(0.3, 0.45), max_clutter=1),
}


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


@dataclass
class Scene:
    """A rendered scene.

    Attributes:
        image: (H, W, 3) uint8, **RGB** channel order (``image[..., ::-1]`` for cv2, which
            writes BGR).
        semantic: (H, W) uint8 ids into :data:`SCENE_CLASSES` (0 = other).
        instance_map: (H, W) int32, 0 = no instance, ``i + 1`` = visible pixels of instance i.
        labels: (N,) int64 indices into :data:`THING_SHAPES`.
        boxes: (N, 4) float32 (x1, y1, x2, y2) of the visible pixels, pixel-extent convention
            (x2, y2 exclusive: a single pixel (i, j) has box (j, i, j+1, i+1)).
        areas: (N,) int64 visible pixel counts.
    """

    image: np.ndarray
    semantic: np.ndarray
    instance_map: np.ndarray
    labels: np.ndarray
    boxes: np.ndarray
    areas: np.ndarray

    def masks(self) -> np.ndarray:
        """(N, H, W) bool visible masks of the instances, in order."""
        ids = np.arange(1, len(self.labels) + 1, dtype=np.int32)
        return self.instance_map[None] == ids[:, None, None]


def check_size(height: int, width: int, name: str = 'size') -> tuple[int, int]:
    """Validates an image size; returns it as ints.

    Raises:
        ValueError: either side below :data:`MIN_SIDE` (names ``name`` in the message).
    """
    if int(height) < MIN_SIDE or int(width) < MIN_SIDE:
        raise ValueError(f'{name} must be at least {MIN_SIDE}x{MIN_SIDE} (H, W), '
                         f'got ({height}, {width})')
    return int(height), int(width)


def get_style(difficulty: str) -> SceneStyle:
    """The :class:`SceneStyle` of a difficulty; ValueError naming ``difficulty`` if unknown."""
    if difficulty not in DIFFICULTIES:
        raise ValueError(f'difficulty must be one of {sorted(DIFFICULTIES)}, got {difficulty!r}')
    return DIFFICULTIES[difficulty]


def _hsv(h_deg: float, s: float, v: float) -> np.ndarray:
    """(3,) float32 RGB in [0, 255] from hue in degrees, saturation and value in [0, 1]."""
    rgb = colorsys.hsv_to_rgb((h_deg % 360.0) / 360.0, min(max(s, 0.0), 1.0),
                              min(max(v, 0.0), 1.0))
    return np.asarray(rgb, np.float32) * 255.0


def _smooth_noise(rng: np.random.Generator, height: int, width: int, channels: int,
                  cells: int) -> np.ndarray:
    """(H, W, C) float32 zero-mean noise with about ``cells`` bumps along the shorter side.

    Bicubic upsampling of a coarse Gaussian grid: smooth, so a good tokenizer should spend
    few tokens on it, yet not constant, so a fixed grid cannot be replaced by a colour lookup.
    """
    short = min(height, width)
    gh = max(2, round(cells * height / short))
    gw = max(2, round(cells * width / short))
    coarse = rng.normal(0.0, 1.0, size=(gh, gw, channels)).astype(np.float32)
    fine = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    return fine.reshape(height, width, channels)


def _stuff_appearance(rng: np.random.Generator, stuff: str, height: int,
                      width: int) -> np.ndarray:
    """(H, W, 3) float32 RGB appearance of one stuff class over the whole image."""
    if stuff == 'wall':  # plain, pale, with at most a faint gradient
        base = _hsv(rng.uniform(20, 50), rng.uniform(0.03, 0.25), rng.uniform(0.55, 0.9))
        ramp = np.linspace(-1.0, 1.0, height, dtype=np.float32)[:, None, None]
        return base * (1.0 + rng.uniform(-0.06, 0.06) * ramp) + np.zeros((1, width, 1),
                                                                           np.float32)
    if stuff == 'sky':  # vertical gradient, saturated blue at the top, pale at the horizon
        hue = rng.uniform(200, 225)
        top = _hsv(hue, rng.uniform(0.5, 0.8), rng.uniform(0.6, 0.85))
        bottom = _hsv(hue + rng.uniform(-8, 8), rng.uniform(0.1, 0.35), rng.uniform(0.85, 1.0))
        t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
        return top * (1.0 - t) + bottom * t + np.zeros((1, width, 1), np.float32)
    # floor / grass: low-frequency texture, mostly in brightness, a little in colour
    if stuff == 'floor':
        base = _hsv(rng.uniform(15, 40), rng.uniform(0.25, 0.55), rng.uniform(0.35, 0.65))
        amplitude = 18.0
    else:
        base = _hsv(rng.uniform(80, 140), rng.uniform(0.35, 0.7), rng.uniform(0.3, 0.6))
        amplitude = 22.0
    cells = int(rng.integers(3, 7))
    luma = _smooth_noise(rng, height, width, 1, cells)
    chroma = _smooth_noise(rng, height, width, 3, cells)
    return base + amplitude * (luma + 0.3 * chroma)


def render_background(rng: np.random.Generator, height: int, width: int,
                      textured: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Draws a stuff-only background in one of four layouts, chosen uniformly.

    Layouts: plain wall; gradient sky; floor or grass texture; a split with sky or wall on top
    and floor or grass below, along a gently wavy horizon.

    Args:
        rng: source of every random choice.
        height: image height in pixels.
        width: image width in pixels.
        textured: allow the textured layouts (floor, grass, split); False draws a plain wall
            or a sky gradient only.

    Returns:
        tuple: (H, W, 3) float32 RGB image in [0, 255] (not yet clipped) and (H, W) uint8
        semantic ids into :data:`SCENE_CLASSES`.
    """
    layout = int(rng.integers(4 if textured else 2))
    if layout < 3:
        stuff = ('wall', 'sky', str(rng.choice(['floor', 'grass'])))[layout]
        image = _stuff_appearance(rng, stuff, height, width)
        semantic = np.full((height, width), SCENE_CLASSES.index(stuff), np.uint8)
        return image.astype(np.float32), semantic
    top_class = str(rng.choice(['sky', 'wall']))
    bottom_class = str(rng.choice(['floor', 'grass']))
    top = _stuff_appearance(rng, top_class, height, width)
    bottom = _stuff_appearance(rng, bottom_class, height, width)
    x = np.arange(width, dtype=np.float32)
    horizon = (rng.uniform(0.3, 0.7) * height + rng.uniform(0.0, 0.05) * height *
               np.sin(2 * np.pi * rng.uniform(0.5, 2.0) * x / width + rng.uniform(0, 2 * np.pi)))
    below = np.arange(height, dtype=np.float32)[:, None] + 0.5 >= horizon[None, :]
    image = np.where(below[..., None], bottom, top).astype(np.float32)
    semantic = np.where(below, SCENE_CLASSES.index(bottom_class),
                        SCENE_CLASSES.index(top_class)).astype(np.uint8)
    return image, semantic


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
            colour = _hsv(rng.uniform(0, 360), rng.uniform(0.0, 0.5), rng.uniform(0.2, 0.9))
        else:
            colour = _hsv(_THING_HUES[kind] + rng.normal(0.0, _HUE_JITTER),
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


def finish_image(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """Adds mild sensor noise (σ in [1.5, 4]) and converts to (H, W, 3) uint8 (same order)."""
    sigma = rng.uniform(1.5, 4.0)
    noisy = image + rng.normal(0.0, sigma, size=image.shape).astype(np.float32)
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


def _sample_diameters(rng: np.random.Generator, count: int, short_side: int,
                      style: SceneStyle) -> np.ndarray:
    """(count,) diameters in pixels, largest first (so small objects lie on top of large)."""
    low = style.min_diameter
    high = max(style.max_diameter * short_side, 2.0 * low)
    diameters = low * (high / low) ** (rng.uniform(0.0, 1.0, size=count) ** style.size_skew)
    diameters[0] = rng.uniform(*style.large_diameter) * short_side
    return np.sort(diameters)[::-1]


def render_scene(rng: np.random.Generator, height: int, width: int, difficulty: str = 'demo',
                 num_objects: Optional[int] = None, min_visible_area: int = 4) -> Scene:
    """Renders one scene: background, unlabelled clutter, then things from large to small.

    Things partly hidden by later (smaller) things keep their visible part; instances with fewer
    than ``min_visible_area`` visible pixels are dropped and their pixels marked "other" (0) in
    the semantic map, so the semantic map and the instance list always agree.

    Args:
        rng: source of every random choice (``numpy.random.default_rng(...)``).
        height: image height in pixels (>= 32).
        width: image width in pixels (>= 32).
        difficulty: a key of :data:`DIFFICULTIES` ('demo' or 'hard').
        num_objects: number of things to draw; None samples it from the style (about
            ``objects_per_64k`` per 256×256 pixels); 0 gives a background-only scene.
        min_visible_area: smallest visible pixel count an instance keeps.

    Returns:
        Scene: image (RGB), label maps and per-instance labels/boxes/areas.

    Raises:
        ValueError: bad size, unknown difficulty or negative ``num_objects``.
    """
    height, width = check_size(height, width)
    style = get_style(difficulty)
    if num_objects is not None and num_objects < 0:
        raise ValueError(f'num_objects must be >= 0, got {num_objects}')
    image, semantic = render_background(rng, height, width)
    instance_map = np.zeros((height, width), np.int32)
    short = min(height, width)

    for _ in range(int(rng.integers(0, style.max_clutter + 1))):
        blob = sample_object(rng, -1, rng.uniform(0.08, 0.25) * short, height, width)
        drawn = draw_object(image, blob)
        if drawn is not None:
            semantic[drawn[0]][drawn[1]] = 0

    if num_objects is None:
        mean = style.objects_per_64k * height * width / 65536.0
        num_objects = max(2, int(round(mean * rng.uniform(0.6, 1.4))))
    labels = rng.integers(0, len(THING_SHAPES), size=num_objects)
    diameters = _sample_diameters(rng, num_objects, short, style) if num_objects else []
    windows: list[Optional[tuple[slice, slice]]] = []
    for i, (kind, diameter) in enumerate(zip(labels, diameters)):
        drawn = draw_object(image, sample_object(rng, int(kind), float(diameter), height, width,
                                                 background=image))
        windows.append(None if drawn is None else drawn[0])
        if drawn is not None:
            semantic[drawn[0]][drawn[1]] = THING_OFFSET + int(kind)
            instance_map[drawn[0]][drawn[1]] = i + 1

    # visible areas after occlusion; drop slivers, renumber the rest 1..N in drawing order
    areas = np.bincount(instance_map.ravel(), minlength=num_objects + 1)[1:]
    keep = np.flatnonzero(areas >= min_visible_area)
    renumber = np.zeros(num_objects + 1, np.int32)
    renumber[keep + 1] = np.arange(1, len(keep) + 1, dtype=np.int32)
    dropped = (instance_map > 0) & (renumber[instance_map] == 0)
    semantic[dropped] = 0
    instance_map = renumber[instance_map]
    boxes = np.zeros((len(keep), 4), np.float32)
    for n, i in enumerate(keep):
        rows, cols = windows[i]
        ys, xs = np.nonzero(instance_map[rows, cols] == n + 1)
        boxes[n] = (cols.start + xs.min(), rows.start + ys.min(), cols.start + xs.max() + 1,
                    rows.start + ys.max() + 1)
    return Scene(image=finish_image(rng, image), semantic=semantic, instance_map=instance_map,
                 labels=labels[keep].astype(np.int64), boxes=boxes,
                 areas=areas[keep].astype(np.int64))


def mask_to_polygons(mask: np.ndarray, offset: tuple[int, int] = (0, 0)) -> list[list[float]]:
    """Outer boundaries of a binary mask as COCO polygons through pixel corners.

    The mask is upsampled 2× so that cv2's boundary-pixel centres map exactly onto pixel
    corners (left/top boundary pixels land on even coordinates, right/bottom on odd ones:
    ``ceil(p / 2)`` is the corner); pycocotools then rasterizes each polygon back to exactly
    the component, holes filled (COCO polygons cannot carry holes: an annotation's polygons
    are united).

    Args:
        mask: (h, w) bool or uint8.
        offset: (x, y) added to every vertex (the mask window's origin in the image).

    Returns:
        list: one flat [x1, y1, x2, y2, ...] list per component with at least 3 vertices.
    """
    up = np.repeat(np.repeat(mask.astype(np.uint8), 2, axis=0), 2, axis=1)
    contours, _ = cv2.findContours(up, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    polygons = []
    for contour in contours:
        corners = np.ceil(contour.reshape(-1, 2) / 2.0) + np.asarray(offset, np.float64)
        # drop consecutive duplicates that the ceil can create at 1-pixel features
        keep = np.any(corners != np.roll(corners, 1, axis=0), axis=1)
        corners = corners[keep]
        if len(corners) >= 3:
            polygons.append([float(v) for v in corners.ravel()])
    return polygons
