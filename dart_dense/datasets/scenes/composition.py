"""A whole scene: background, clutter, then things from large to small, with consistent labels."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .background import render_background
from .style import THING_OFFSET, THING_SHAPES, SceneStyle, check_size, get_style
from .things import draw_object, sample_object


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
