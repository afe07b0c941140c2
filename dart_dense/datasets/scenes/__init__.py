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

Modules: :mod:`.style` (classes, difficulties), :mod:`.background` (stuff), :mod:`.things`
(shapes), :mod:`.composition` (a whole scene). The writers in :mod:`..ade20k_demo`,
:mod:`..coco_demo` and :mod:`..video_demo` only map these
scene classes to their dataset's label ids and write files; none of them draws anything itself.
"""
from .background import render_background
from .composition import Scene, finish_image, render_scene
from .style import (DIFFICULTIES, MIN_SIDE, RENDER_VERSION, SCENE_CLASSES, STUFF_CLASSES,
                    THING_OFFSET, THING_SHAPES, SceneStyle, check_size, get_style)
from .things import ObjectSpec, draw_object, sample_object

__all__ = [
    'STUFF_CLASSES', 'THING_SHAPES', 'SCENE_CLASSES', 'THING_OFFSET', 'DIFFICULTIES',
    'RENDER_VERSION', 'MIN_SIDE', 'SceneStyle', 'ObjectSpec', 'Scene', 'check_size', 'get_style',
    'render_background', 'sample_object', 'draw_object', 'finish_image', 'render_scene',
]
