"""Region resampling: grid exactness, official parity, gradients, fast path."""
import pytest
import torch

from dart_dense.models.tokenizers import quantile_partition
from dart_dense.structures import TokenLayout
from dart_dense.ops import resample_regions
from dart_dense.ops.reference import official_tokenize


def _patchify(images: torch.Tensor, p: int) -> torch.Tensor:
    b, c = images.shape[:2]
    x = images.unfold(2, p, p).unfold(3, p, p)  # (B, C, rows, cols, p, p)
    return x.permute(0, 2, 3, 1, 4, 5).reshape(b, -1, c, p, p)


@pytest.mark.parametrize('mode', ['center', 'corner'])
def test_grid_layout_samples_exact_pixels(mode):
    images = torch.randn(2, 3, 32, 48)
    layout = TokenLayout.grid(2, (32, 48), 8)
    patches = layout.resample(images, 8, mode=mode)
    assert torch.equal(patches, _patchify(images, 8))


def test_matches_official_loop_reference_float64():
    torch.manual_seed(0)
    size, n = 224, 49
    images = torch.randn(2, 3, size, size, dtype=torch.float64)
    scores = torch.sigmoid(torch.randn(2, 14, 14, dtype=torch.float64)) + 0.1
    table = torch.randn(14, 14, 6, dtype=torch.float64)
    ref_patches, ref_pos, ref_rows, ref_tokens = official_tokenize(images, scores, n, 16, table)
    layout = quantile_partition(scores, (size, size), n, eps=1e-8)  # official guard
    assert torch.allclose(layout.row_edges, ref_rows, atol=1e-9)
    assert torch.allclose(layout.token_edges, ref_tokens, atol=1e-9)
    patches = layout.resample(images, 16, mode='corner')
    assert torch.allclose(patches, ref_patches, atol=1e-9)
    pos = layout.rebin(table.permute(2, 0, 1)[None])
    assert torch.allclose(pos, ref_pos, atol=1e-9)


def test_gradcheck_image_and_geometry():
    torch.manual_seed(0)
    images = torch.randn(1, 2, 12, 14, dtype=torch.float64, requires_grad=True)
    # off-integer edges so no sample sits on a kink of the bilinear interpolation
    row_mid = torch.tensor([[5.3]], dtype=torch.float64, requires_grad=True)
    tok_inner = torch.tensor([[6.7, 17.1]], dtype=torch.float64, requires_grad=True)

    def fn(img, mid, inner):
        rows = torch.cat([mid.new_zeros(1, 1), mid, mid.new_full((1, 1), 12.)], 1)
        toks = torch.cat([inner.new_zeros(1, 1), inner, inner.new_full((1, 1), 28.)], 1)
        return resample_regions(img, rows, toks, 4, antialias=2)

    assert torch.autograd.gradcheck(fn, (images, row_mid, tok_inner), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize('mode,antialias', [('center', 1), ('center', 3), ('corner', 1),
                                            ('corner', 2)])
def test_mmcv_fast_path_matches_reference(mode, antialias):
    pytest.importorskip('mmcv.ops')
    torch.manual_seed(0)
    images = torch.randn(2, 3, 60, 84)
    scores = torch.rand(2, 6, 8) + 0.1
    layout = quantile_partition(scores, (60, 84), 20)
    ref = layout.resample(images, 8, antialias, mode, backend='torch')
    fast = layout.resample(images, 8, antialias, mode, backend='mmcv')
    assert fast.shape == ref.shape == (2, 20, 3, 8, 8)
    if mode == 'corner':
        # official zero padding beyond the strip end vs roi_align's border: only a token
        # narrower than p at the very end of the strip could differ; exclude the last token.
        ref, fast = ref[:, :-1], fast[:, :-1]
    # both compute sample coordinates in float32 along a strip of R·W pixels (here ~420), in a
    # different order: agreement is to that coordinate precision (~1e-4 on unit-scale data)
    assert torch.allclose(fast, ref, atol=3e-4)


def test_mmcv_fast_path_passes_image_gradient():
    pytest.importorskip('mmcv.ops')
    images = torch.randn(1, 3, 32, 32, requires_grad=True)
    layout = quantile_partition(torch.rand(1, 4, 4) + 0.1, (32, 32), 8)
    images_ref = images.detach().clone().requires_grad_(True)
    layout.resample(images, 8, backend='mmcv').square().sum().backward()
    layout.resample(images_ref, 8, backend='torch').square().sum().backward()
    assert torch.allclose(images.grad, images_ref.grad, atol=1e-4)


def test_bad_arguments():
    layout = TokenLayout.grid(1, (16, 16), 8)
    with pytest.raises(ValueError, match='antialias'):
        layout.resample(torch.zeros(1, 3, 16, 16), 8, antialias=0)
    with pytest.raises(ValueError, match='backend'):
        layout.resample(torch.zeros(1, 3, 16, 16), 8, backend='cuda')


@pytest.mark.parametrize('backend,mode,antialias', [('torch', 'center', 1), ('torch', 'corner', 2),
                                                    ('mmcv', 'center', 1)])
def test_select_resamples_only_the_chosen_tokens(backend, mode, antialias):
    if backend == 'mmcv':
        pytest.importorskip('mmcv.ops')
    torch.manual_seed(0)
    images = torch.randn(3, 2, 40, 56)
    layout = quantile_partition(torch.rand(3, 5, 7) + 0.1, (40, 56), 12)
    every = layout.resample(images, 4, antialias, mode, backend)  # (B, N, C, p, p)
    select = torch.tensor([5, 0, 35, 12, 13, 23])  # any order, any images
    chosen = layout.resample(images, 4, antialias, mode, backend, select=select)
    assert chosen.shape == (6, 2, 4, 4)
    torch.testing.assert_close(chosen, every.reshape(-1, 2, 4, 4)[select])
