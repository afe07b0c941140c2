"""DARTTokenizer: content-adaptive region tokens (DART, arXiv 2506.10390)."""
import math
from functools import lru_cache
from typing import Literal, Optional, Union

import torch
from mmengine.registry import MODELS
from torch import Tensor

from dart_dense.models.scorers.base_scorer import logit_dtype
from dart_dense.ops.region_resample import SampleMode
from .base_tokenizer import BaseTokenizer, TokenizerOutput
from .importance import Standardize, ValidHW, check_valid_hw, importance_from_logits
from .partition import quantile_partition


@lru_cache(maxsize=1)
def mmcv_roi_align_available() -> bool:
    """Whether mmcv was built with its compiled ops (the resampling fast path)."""
    try:
        from mmcv.ops import roi_align  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


@MODELS.register_module()
class DARTTokenizer(BaseTokenizer):
    """Score the image, cut it into N regions of equal importance, embed each as a p×p patch.

    Args:
        in_channels: image channels.
        embed_dims: C, token width.
        patch_size: p; every region is resampled to p×p and embedded by a p×p conv.
        num_tokens: token budget N. Give this or ``token_ratio``.
        token_ratio: budget as a fraction of the fixed grid's ceil(H/p)·ceil(W/p) tokens
            (adapts to the input size, e.g. for detection). Default 1.0 when neither is given.
        num_rows: R; default round(sqrt(N·H/W)) (square tokens on average).
        scorer: config of the importance network (see ``dart_dense.models.scorers``).
        grid_size: fixed (h, w) partition grid (the official models use (14, 14)).
        grid_stride: otherwise the partition grid has one cell per ``grid_stride`` pixels
            (default ``patch_size``).
        score_floor: importance floor after the sigmoid (official 0.1); the padded area of a
            batch gets exactly this.
        score_sharpness: β in the importance ``sigmoid(β·z) + score_floor`` of the
            standardized scorer logits z (official 1.0). β > 1 concentrates the tokens where
            the scorer fires (e.g. small objects on a plain background: with β = 1 they get at
            most ~2× the background's token density). Not used by a ``ClipTokenizer``, which
            computes its own clip importance.
        standardize: ``'image'`` (default; tokens independent of batch mates) or ``'batch'``.
        sample_mode: ``'center'`` (default) or ``'corner'`` (official) sample placement.
        antialias: samples per output pixel and axis (>1 for regions much larger than p×p).
        fast_path: resample with ``mmcv.ops.roi_align`` when no gradient must reach the
            geometry (inference, or a scorer without trainable parameters). ``'auto'``
            (default) does so on CUDA only: on CPU the torch gather path measured faster
            (``tools/analysis_tools/benchmark_tokenizer.py --sections speed``); ``True``
            uses it on any device.
        official: reproduce the official numerics (``standardize='batch'``,
            ``sample_mode='corner'``); overrides those two arguments.
        norm_cfg: optional norm after the projection.
        init_cfg: mmengine initialization config.
    """

    def __init__(self, in_channels: int = 3, embed_dims: int = 768, patch_size: int = 16,
                 num_tokens: Optional[int] = None, token_ratio: Optional[float] = None,
                 num_rows: Optional[int] = None,
                 scorer: dict = dict(type='ConvScorer'),
                 grid_size: Optional[tuple[int, int]] = None,
                 grid_stride: Optional[int] = None, score_floor: float = 0.1,
                 score_sharpness: float = 1.0,
                 standardize: Standardize = 'image', sample_mode: SampleMode = 'center',
                 antialias: int = 1, fast_path: Union[bool, Literal['auto']] = 'auto',
                 official: bool = False,
                 norm_cfg: Optional[dict] = None, init_cfg: Optional[dict] = None):
        super().__init__(in_channels, embed_dims, patch_size, norm_cfg, init_cfg)
        if num_tokens is not None and token_ratio is not None:
            raise ValueError('give num_tokens or token_ratio, not both')
        if num_tokens is not None:
            self._check_count('num_tokens', num_tokens)
        if token_ratio is not None and not 0 < token_ratio <= 1:
            raise ValueError(f'token_ratio must be in (0, 1], got {token_ratio}')
        if num_rows is not None:
            self._check_count('num_rows', num_rows)
        if grid_size is not None and (len(grid_size) != 2 or min(grid_size) < 1):
            raise ValueError(f'grid_size must be (h, w) with h, w >= 1, got {grid_size}')
        if grid_stride is not None and grid_stride < 1:
            raise ValueError(f'grid_stride must be >= 1, got {grid_stride}')
        if score_floor <= 0:
            raise ValueError(f'score_floor must be > 0, got {score_floor}')
        if (not isinstance(score_sharpness, (int, float)) or isinstance(score_sharpness, bool)
                or not 0 < score_sharpness < math.inf):
            raise ValueError(f'score_sharpness must be a finite number > 0 (1.0: the official '
                             f'importance), got {score_sharpness!r}')
        if official:
            standardize, sample_mode = 'batch', 'corner'
        if standardize not in ('image', 'batch'):
            raise ValueError(f"standardize must be 'image' or 'batch', got {standardize!r}")
        if sample_mode not in ('center', 'corner'):
            raise ValueError(f"sample_mode must be 'center' or 'corner', got {sample_mode!r}")
        if fast_path not in (True, False, 'auto'):
            raise ValueError(f"fast_path must be True, False or 'auto', got {fast_path!r}")
        if not isinstance(antialias, int) or antialias < 1:
            raise ValueError(f'antialias must be an int >= 1, got {antialias!r}')
        self.num_tokens = num_tokens
        self.token_ratio = 1.0 if num_tokens is None and token_ratio is None else token_ratio
        self.num_rows = num_rows
        self.scorer = MODELS.build(scorer)
        self.grid_size = tuple(grid_size) if grid_size is not None else None
        self.grid_stride = grid_stride or patch_size
        self.score_floor = score_floor
        self.score_sharpness = float(score_sharpness)
        self.standardize = standardize
        self.sample_mode = sample_mode
        self.antialias = antialias
        self.fast_path = fast_path
        self.official = official

    @staticmethod
    def _check_count(name: str, value: object) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f'{name} must be a positive int, got {value!r}')

    def capacity(self, image_hw: tuple[int, int]) -> int:
        """Most tokens an image can hold: one per p×p patch of the fixed grid."""
        rows, cols = self.grid_shape(image_hw)
        return rows * cols

    def num_tokens_for(self, image_hw: tuple[int, int],
                       num_tokens: Optional[int] = None) -> int:
        capacity = self.capacity(image_hw)
        if num_tokens is not None:
            self._check_count('num_tokens', num_tokens)
        elif self.num_tokens is not None:
            num_tokens = self.num_tokens
        else:
            num_tokens = max(1, round(self.token_ratio * capacity))
        if num_tokens > capacity:
            raise ValueError(
                f'num_tokens={num_tokens} is more than a {image_hw[0]}x{image_hw[1]} image can '
                f'hold with patch_size={self.patch_size} (at most {capacity})')
        if self.num_rows is not None and self.num_rows > num_tokens:
            raise ValueError(f'num_rows={self.num_rows} exceeds num_tokens={num_tokens}')
        return num_tokens

    def partition_grid(self, image_hw: tuple[int, int]) -> tuple[int, int]:
        """(h, w) of the importance grid the partition works on."""
        if self.grid_size is not None:
            return self.grid_size
        return (math.ceil(image_hw[0] / self.grid_stride),
                math.ceil(image_hw[1] / self.grid_stride))

    def forward(self, images: Tensor, pos_embed: Optional[Tensor] = None,
                valid_hw: Optional[ValidHW] = None,
                num_tokens: Optional[int] = None) -> TokenizerOutput:
        """Tokenize images into N content-adaptive regions.

        Args:
            images: (B, C, H, W) normalized images, any H, W >= patch_size.
            pos_embed: optional (1 or B, C, h, w) positional table covering the image; it is
                re-binned onto the tokens exactly like the importance.
            valid_hw: optional (B, 2) unpadded (h, w) per image of a padded batch; the
                padded area gets the floor importance, so no budget is spent there.
            num_tokens: override the budget for this call (no rebuild needed).

        Returns:
            :class:`TokenizerOutput` with tokens (B, N, C), pos (B, N, C) or None, the
            layout and the importance map (B, h, w).
        """
        h, w = self.check_images(images)
        n = self.num_tokens_for((h, w), num_tokens)
        valid = check_valid_hw(valid_hw, images.shape[0], (h, w), images.device)
        self.check_pos_embed(pos_embed, self.embed_dims)
        return self.tokenize_importance(images, self.score(images, valid), n, pos_embed)

    def score(self, images: Tensor, valid_hw: Optional[Tensor] = None) -> Tensor:
        """(B, C, H, W) images → (B, h, w) importance on the partition grid.

        Args:
            images: checked (B, C, H, W) images.
            valid_hw: checked (B, 2) valid sizes or None (see :func:`check_valid_hw`).
        """
        hw = images.shape[-2:]
        logits = self.scorer(images)
        # geometry never in half precision (AMP): at least float32, float64 kept
        logits = logits.to(logit_dtype(logits.dtype))
        return importance_from_logits(logits, self.partition_grid(hw), hw, valid_hw,
                                      self.standardize, self.score_floor, self.score_sharpness)

    def tokenize_importance(self, images: Tensor, importance: Tensor, num_tokens: int,
                            pos_embed: Optional[Tensor] = None,
                            counts: Optional[Tensor] = None,
                            select: Optional[Tensor] = None) -> TokenizerOutput:
        """Partition, resample and embed, given the importance (used by clip tokenizers that
        score frames jointly).

        Args:
            images: checked (B, C, H, W) images.
            importance: (B, h, w) positive importance.
            num_tokens: N (validated by the caller, e.g. with :meth:`num_tokens_for`).
            pos_embed: optional (1 or B, C, h, w) positional table.
            counts: optional (B,) per-image budgets <= ``num_tokens`` (video frames); slots
                beyond an image's count are padding (see :func:`quantile_partition`): their
                tokens are computed but meaningless, ``layout.token_mask()`` tells them apart.
            select: optional int64 indices into the flattened (B·N) token slots, any shape
                S: only those slots are resampled and embedded, and ``tokens`` / ``pos`` come
                out shaped (*S, C) (a clip tokenizer gathers its sequences from the real slots
                this way, without embedding the padding).
        """
        hw = (int(images.shape[-2]), int(images.shape[-1]))
        rows = min(self.num_rows, num_tokens) if self.num_rows else None
        layout = quantile_partition(importance, hw, num_tokens, rows,
                                    eps=1e-8 if self.official else 0.0, counts=counts)
        needs_geometry_grad = torch.is_grad_enabled() and layout.requires_grad()
        wanted = images.is_cuda if self.fast_path == 'auto' else bool(self.fast_path)
        use_mmcv = wanted and not needs_geometry_grad and mmcv_roi_align_available()
        flat_select = None if select is None else select.reshape(-1)
        patches = layout.resample(images, self.patch_size, self.antialias, self.sample_mode,
                                  backend='mmcv' if use_mmcv else 'torch', select=flat_select)
        tokens = self.embed_patches(patches)
        pos = layout.rebin(pos_embed).to(tokens.dtype) if pos_embed is not None else None
        if select is not None:
            tokens = tokens.view(*select.shape, -1)
            if pos is not None:
                pos = pos.reshape(-1, pos.shape[-1]).index_select(0, flat_select)
                pos = pos.view(*select.shape, -1)
        return TokenizerOutput(tokens=tokens, pos=pos, layout=layout, scores=importance)
