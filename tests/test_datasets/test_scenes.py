"""The rendering core: determinism, label consistency, size range, exact COCO polygons."""
import numpy as np
import pytest
from scipy.ndimage import binary_fill_holes

from dart_dense.datasets.coco_demo import mask_to_polygons
from dart_dense.datasets.scenes import SCENE_CLASSES, THING_OFFSET, THING_SHAPES, render_scene


def _scene(seed: int, difficulty: str = 'demo', size: tuple[int, int] = (128, 160)):
    return render_scene(np.random.default_rng(seed), *size, difficulty=difficulty)


def test_same_seed_same_arrays_other_seed_differs():
    a, b, c = _scene(3), _scene(3), _scene(4)
    for name in ('image', 'semantic', 'instance_map', 'labels', 'boxes', 'areas'):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.image, c.image)


def test_labels_masks_boxes_agree():
    scene = _scene(0)
    h, w = scene.semantic.shape
    assert scene.image.shape == (h, w, 3) and scene.image.dtype == np.uint8
    assert scene.semantic.max() < len(SCENE_CLASSES)
    masks = scene.masks()
    assert masks.shape == (len(scene.labels), h, w)
    np.testing.assert_array_equal(masks.sum((1, 2)), scene.areas)
    for mask, label, (x0, y0, x1, y1) in zip(masks, scene.labels, scene.boxes.astype(int)):
        # every visible instance pixel carries the instance's class in the semantic map
        assert np.all(scene.semantic[mask] == THING_OFFSET + label)
        ys, xs = np.nonzero(mask)  # boxes are exact pixel extents, (x2, y2) exclusive
        assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (x0, y0, x1, y1)
    # thing pixels outside every listed instance do not exist (dropped slivers became 0)
    assert not np.any((scene.semantic >= THING_OFFSET) & (scene.instance_map == 0))


def test_sizes_span_small_to_large():
    areas = np.concatenate([_scene(s).areas for s in range(4)])
    assert areas.max() / areas.min() >= 50
    assert np.median(areas) < 0.01 * 128 * 160  # most objects are small
    labels = np.concatenate([_scene(s).labels for s in range(4)])
    assert set(labels.tolist()) == set(range(len(THING_SHAPES)))


def test_hard_has_more_and_smaller_objects():
    demo = [_scene(s, 'demo', (256, 256)) for s in range(3)]
    hard = [_scene(s, 'hard', (256, 256)) for s in range(3)]
    assert sum(len(s.labels) for s in hard) > 1.5 * sum(len(s.labels) for s in demo)
    assert (np.median(np.concatenate([s.areas for s in hard]))
            < np.median(np.concatenate([s.areas for s in demo])))


def test_colour_alone_does_not_give_the_class_away():
    # mean hue of each instance: some instances of one class are closer in hue to another
    # class's mean than to their own (the hue distributions overlap)
    import cv2

    hues, labels = [], []
    for s in range(6):
        scene = _scene(s)
        hsv = cv2.cvtColor(scene.image[..., ::-1], cv2.COLOR_BGR2HSV_FULL).astype(float)
        for mask, label in zip(scene.masks(), scene.labels):
            angle = hsv[..., 0][mask] * 2 * np.pi / 256
            hues.append(np.degrees(np.angle(np.exp(1j * angle).mean())) % 360)
            labels.append(label)
    hues, labels = np.array(hues), np.array(labels)
    centres = np.arange(len(THING_SHAPES)) * 60.0
    distance = np.abs((hues[:, None] - centres[None] + 180) % 360 - 180)
    nearest = distance.argmin(1)
    accuracy = (nearest == labels).mean()
    assert 0.3 < accuracy < 0.9, accuracy


def test_background_only_scene():
    scene = render_scene(np.random.default_rng(0), 64, 64, num_objects=0)
    assert len(scene.labels) == 0 and scene.boxes.shape == (0, 4)
    assert scene.semantic.max() < THING_OFFSET


# pycocotools' decode trips a numpy 2 DeprecationWarning (copy keyword) that is not ours
@pytest.mark.filterwarnings('ignore::DeprecationWarning')
def test_polygons_round_trip_exactly_through_pycocotools():
    mask_utils = pytest.importorskip('pycocotools.mask')
    scene = _scene(1)
    h, w = scene.semantic.shape
    for mask, (x0, y0, x1, y1) in zip(scene.masks(), scene.boxes.astype(int)):
        polygons = mask_to_polygons(mask[y0:y1, x0:x1], offset=(x0, y0))
        assert all(len(p) >= 6 and len(p) % 2 == 0 for p in polygons)
        rle = mask_utils.merge(mask_utils.frPyObjects(polygons, h, w))
        # exactly the mask with its holes filled (COCO polygons cannot express holes)
        np.testing.assert_array_equal(mask_utils.decode(rle).astype(bool),
                                      binary_fill_holes(mask))
        assert np.array_equal(mask_utils.toBbox(rle), [x0, y0, x1 - x0, y1 - y0])
    solid = np.zeros((9, 9), bool)
    solid[2:5, 3:8] = True
    rle = mask_utils.merge(mask_utils.frPyObjects(mask_to_polygons(solid), 9, 9))
    np.testing.assert_array_equal(mask_utils.decode(rle).astype(bool), solid)


@pytest.mark.parametrize('kwargs, name', [
    (dict(height=16, width=64), 'size'),
    (dict(height=64, width=64, difficulty='easy'), 'difficulty'),
    (dict(height=64, width=64, num_objects=-1), 'num_objects'),
])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        render_scene(np.random.default_rng(0), **kwargs)
