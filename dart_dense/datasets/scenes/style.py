"""What a scene is made of: the class vocabulary and the per-difficulty object statistics."""
from __future__ import annotations

from dataclasses import dataclass

# Bump whenever the pixels a seed produces change: the writers record it in their marker file,
# so data written by an older renderer is regenerated instead of silently reused.
RENDER_VERSION = 1

STUFF_CLASSES: tuple[str, ...] = ('wall', 'sky', 'floor', 'grass')
THING_SHAPES: tuple[str, ...] = ('disc', 'rectangle', 'triangle', 'ring', 'star', 'cross')
# Semantic ids of a scene: 0 = "other" (unlabelled clutter and fragments too small to annotate),
# then the stuff classes, then the thing shapes.
SCENE_CLASSES: tuple[str, ...] = ('other', ) + STUFF_CLASSES + THING_SHAPES
THING_OFFSET = 1 + len(STUFF_CLASSES)

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
