"""Stuff backgrounds: plain walls, sky gradients, low-frequency floor / grass textures, splits."""
from __future__ import annotations

import colorsys

import cv2
import numpy as np

from .style import SCENE_CLASSES


def hsv_colour(h_deg: float, s: float, v: float) -> np.ndarray:
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
        base = hsv_colour(rng.uniform(20, 50), rng.uniform(0.03, 0.25), rng.uniform(0.55, 0.9))
        ramp = np.linspace(-1.0, 1.0, height, dtype=np.float32)[:, None, None]
        return base * (1.0 + rng.uniform(-0.06, 0.06) * ramp) + np.zeros((1, width, 1),
                                                                           np.float32)
    if stuff == 'sky':  # vertical gradient, saturated blue at the top, pale at the horizon
        hue = rng.uniform(200, 225)
        top = hsv_colour(hue, rng.uniform(0.5, 0.8), rng.uniform(0.6, 0.85))
        bottom = hsv_colour(hue + rng.uniform(-8, 8), rng.uniform(0.1, 0.35), rng.uniform(0.85, 1.0))
        t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
        return top * (1.0 - t) + bottom * t + np.zeros((1, width, 1), np.float32)
    # floor / grass: low-frequency texture, mostly in brightness, a little in colour
    if stuff == 'floor':
        base = hsv_colour(rng.uniform(15, 40), rng.uniform(0.25, 0.55), rng.uniform(0.35, 0.65))
        amplitude = 18.0
    else:
        base = hsv_colour(rng.uniform(80, 140), rng.uniform(0.35, 0.7), rng.uniform(0.3, 0.6))
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
