"""Foreign checkpoint layouts → DARTViT keys. One pure function per layout, plus the loader
used by ``init_cfg=dict(type='Pretrained', checkpoint=PATH)`` and
``tools/model_converters/convert_pretrained.py``.

DARTViT keys: ``tokenizer.proj.*``, ``tokenizer.scorer.*``, ``pos_embed`` (1, [1+]h·w, C),
``cls_token``, ``blocks.i.*`` (timm block layout), ``norm.*``.
"""
import math
from typing import Literal, Optional

import torch
from mmengine.logging import print_log
from torch import Tensor, nn

Layout = Literal['official_dart', 'timm', 'dart_dense']

# keys a classifier has that a backbone does not want
_CLASSIFIER_PREFIXES = ('head.', 'head_dist.', 'fc_norm.', 'pre_logits.')
# the ViT keys every supported layout carries: missing ones make a pretrained load an error
# (unless strict=False). Scorer weights (absent from timm / DeiT checkpoints) and tables a
# subclass adds (a video model's time_embed) may be missing.
VIT_KEY_PREFIXES = ('tokenizer.proj.', 'pos_embed', 'cls_token', 'blocks.', 'norm.')


def unwrap_state_dict(checkpoint: dict) -> dict[str, Tensor]:
    """The state dict inside a checkpoint dict (``model`` / ``state_dict``), without
    ``module.`` (DDP) prefixes."""
    for key in ('state_dict', 'model', 'module'):
        if key in checkpoint and isinstance(checkpoint[key], dict):
            checkpoint = checkpoint[key]
            break
    return {k[len('module.'):] if k.startswith('module.') else k: v
            for k, v in checkpoint.items() if isinstance(v, Tensor)}


def _rename(state: dict[str, Tensor], rules: list[tuple[str, str]]) -> dict[str, Tensor]:
    out = {}
    for key, value in state.items():
        if key.startswith(_CLASSIFIER_PREFIXES):
            continue
        for old, new in rules:
            if key.startswith(old):
                key = new + key[len(old):]
                break
        out[key] = value
    return out


def convert_official_dart(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """Official DART ImageNet checkpoint (``darvit-sm.pth`` …) → DARTViT keys.

    ``patch_embed.proj`` → ``tokenizer.proj``; ``patch_embed.spn.spn.spn.{features,mlp}`` →
    ``tokenizer.scorer.{features,mlp}`` (a :class:`MobileNetV3Scorer`); blocks, norm,
    ``pos_embed`` (1, 197, C) and ``cls_token`` keep their names; the classifier is dropped.
    """
    return _rename(state, [('patch_embed.spn.spn.spn.', 'tokenizer.scorer.'),
                           ('patch_embed.proj.', 'tokenizer.proj.')])


def convert_timm_vit(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """timm / DeiT ViT checkpoint (``deit_small_patch16_224``, ``vit_base_patch16_224`` …) →
    DARTViT keys. The distillation token of DeiT-distilled models is dropped, with its entry
    in ``pos_embed``."""
    state = dict(state)
    if 'dist_token' in state:
        del state['dist_token']
        pos = state['pos_embed']
        state['pos_embed'] = torch.cat([pos[:, :1], pos[:, 2:]], dim=1)
    return _rename(state, [('patch_embed.proj.', 'tokenizer.proj.')])


def detect_layout(state: dict[str, Tensor]) -> Layout:
    """Which layout a state dict is in."""
    if any(k.startswith('tokenizer.') for k in state):
        return 'dart_dense'
    if any(k.startswith('patch_embed.spn.') for k in state):
        return 'official_dart'
    if 'patch_embed.proj.weight' in state:
        return 'timm'
    raise ValueError('unrecognized checkpoint layout: expected official DART keys '
                     '(patch_embed.spn.*), timm ViT keys (patch_embed.proj.*) or dart_dense '
                     f'keys (tokenizer.*); first keys: {list(state)[:6]}')


def resize_pos_embed(pos: Tensor, dst_grid: tuple[int, int], src_extra: int,
                     dst_extra: int, src_grid: Optional[tuple[int, int]] = None) -> Tensor:
    """Resize a (1, extra + h·w, C) positional table to ``dst_grid`` with timm's
    ``resample_abs_pos_embed`` (bicubic, as mmseg/timm); extra (class) entries are kept or
    dropped to match ``dst_extra``.

    Args:
        pos: (1, src_extra + h·w, C) table.
        dst_grid: (h', w') of the result.
        src_extra, dst_extra: class entries before the grid in the source / result.
        src_grid: (h, w) of the source grid; default: square (every official / timm table
            is), an error when the entry count is not a square.

    Returns:
        (1, dst_extra + h'·w', C) table.
    """
    from timm.layers import resample_abs_pos_embed  # timm imports torchvision: lazy

    num_grid = pos.shape[1] - src_extra
    if src_grid is None:
        side = math.isqrt(num_grid)
        if side * side != num_grid:
            raise ValueError(f'pos_embed with {num_grid} grid entries is not square; pass '
                             'src_grid=(h, w)')
        src_grid = (side, side)
    elif src_grid[0] * src_grid[1] != num_grid:
        raise ValueError(f'src_grid={tuple(src_grid)} does not hold the {num_grid} grid entries '
                         'of pos_embed')
    # antialias=False: plain bicubic as before and as mmseg (it only differs when shrinking)
    pos = resample_abs_pos_embed(pos, list(dst_grid), list(src_grid),
                                 num_prefix_tokens=src_extra, interpolation='bicubic',
                                 antialias=False, align_corners=False)
    extra, grid = pos[:, :src_extra], pos[:, src_extra:]
    extra = extra[:, :dst_extra]
    return torch.cat([extra, grid], dim=1) if dst_extra else grid


def inflate_patch_projection(weight: Tensor, in_channels: int) -> Tensor:
    """An image patch projection (C, c, p, p) → (C, k·c, p, p) for tubelets of k frames.

    The weight is repeated over the k frames and divided by k (I3D-style inflation), so a
    tubelet of k identical frames embeds exactly as the image model embeds the frame.
    """
    frames, rest = divmod(in_channels, weight.shape[1])
    if rest or frames < 1:
        raise ValueError(f'cannot inflate a patch projection of {weight.shape[1]} input channels '
                         f'to {in_channels}')
    return weight.repeat(1, frames, 1, 1) / frames


def convert_checkpoint(checkpoint: dict, model: nn.Module,
                       layout: Optional[Layout] = None) -> dict[str, Tensor]:
    """Any supported checkpoint → a state dict for ``model`` (a DARTViT), positional table
    resized to the model's grid.

    Args:
        checkpoint: as loaded (possibly wrapped in ``model`` / ``state_dict``; a dart_dense
            segmentor/detector checkpoint is accepted, its ``backbone.`` keys are used).
        model: the target :class:`DARTViT`.
        layout: force a layout instead of detecting it.

    The patch projection of an image checkpoint is inflated for a tubelet model
    (:func:`inflate_patch_projection`).
    """
    state = unwrap_state_dict(checkpoint)
    # prefixes (module., backbone.) handled here, not by mmengine's load_checkpoint(revise_keys=
    # ...): that reads by a plain torch.load (safety = torch's default), and a rename cannot
    # drop the non-backbone keys
    if any(k.startswith('backbone.') for k in state):
        state = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
    layout = layout or detect_layout(state)
    if layout == 'official_dart':
        state = convert_official_dart(state)
    elif layout == 'timm':
        state = convert_timm_vit(state)
    elif layout != 'dart_dense':
        raise ValueError(f'unknown layout {layout!r}')
    if 'pos_embed' in state:
        src_extra = 1 if ('cls_token' in state) else 0
        dst_extra = 1 if getattr(model, 'with_cls_token', True) else 0
        grid = tuple(model.pos_grid)
        # a table with the model's entry count is on the model's grid (a dart_dense checkpoint
        # of a non-square model); any other is square (official / timm tables)
        same = state['pos_embed'].shape[1] - src_extra == grid[0] * grid[1]
        state['pos_embed'] = resize_pos_embed(state['pos_embed'], grid, src_extra, dst_extra,
                                              src_grid=grid if same else None)
    if not getattr(model, 'with_cls_token', True):
        state.pop('cls_token', None)
    proj = getattr(getattr(model, 'tokenizer', None), 'proj', None)
    weight = state.get('tokenizer.proj.weight')
    if proj is not None and weight is not None and weight.dim() == 4 \
            and weight.shape[1] < proj.weight.shape[1]:  # image weights into a tubelet model
        state['tokenizer.proj.weight'] = inflate_patch_projection(weight, proj.weight.shape[1])
    return state


def load_pretrained(model: nn.Module, path: str, layout: Optional[Layout] = None,
                    logger: str = 'current', strict: bool = True
                    ) -> tuple[list[str], list[str]]:
    """Load pretrained weights from a local file into a DARTViT (``weights_only=True``).

    Missing and unexpected keys are logged by name (a timm checkpoint has no scorer, which is
    expected). Fails with an error naming the file when it cannot be read, when no key
    matches the model, when shapes disagree (listing the offending keys), or, with
    ``strict``, when ViT keys (:data:`VIT_KEY_PREFIXES`) are missing from the checkpoint.

    Returns:
        (missing, unexpected) key names.
    """
    from .checkpoint import load_checkpoint_file

    try:
        checkpoint = load_checkpoint_file(path)
    except (FileNotFoundError, ValueError):
        raise
    except Exception as err:  # truncated/corrupt archives raise RuntimeError, EOFError, ...
        raise ValueError(f'cannot read checkpoint {path!r} (truncated or not a torch '
                         f'checkpoint): {err}') from err
    try:
        state = convert_checkpoint(checkpoint, model, layout)
    except ValueError as err:
        raise ValueError(f'{path}: {err}') from err
    own = model.state_dict()
    bad_shapes = [f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}'
                  for k, v in state.items() if k in own and v.shape != own[k].shape]
    if bad_shapes:
        raise ValueError(f'{path}: shape mismatch for {len(bad_shapes)} keys (wrong arch?): '
                         + '; '.join(bad_shapes[:10]))
    matched = [k for k in state if k in own]
    if not matched:
        raise ValueError(f'{path}: no key matches the model; checkpoint keys start with '
                         f'{list(state)[:6]}')
    missing_vit = [k for k in own if k.startswith(VIT_KEY_PREFIXES) and k not in state]
    if strict and missing_vit:
        raise KeyError(f'{path}: the checkpoint lacks {len(missing_vit)} ViT weights of the '
                       f'model ({missing_vit[:8]}{" ..." if len(missing_vit) > 8 else ""}): '
                       'wrong checkpoint or arch? To load it anyway and keep those weights '
                       "as initialized, set strict=False in the backbone's init_cfg "
                       "(init_cfg=dict(type='Pretrained', checkpoint=..., strict=False)).")
    missing, unexpected = model.load_state_dict(state, strict=False)
    print_log(f'loaded {len(matched)} tensors from {path}', logger=logger)
    if missing:
        print_log(f'missing keys (left as initialized): {missing}', logger=logger,
                  level=30)
    if unexpected:
        print_log(f'unexpected keys (ignored): {unexpected}', logger=logger, level=30)
    return list(missing), list(unexpected)
