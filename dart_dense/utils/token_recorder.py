"""TokenRecorder: opt-in capture of the token geometry of a model's last forward.

A DART backbone keeps no state between forwards. Whoever wants to see what the tokenizer did
(the visualization hooks, ``tools/visualize_tokens.py``, analyses, tests) installs a recorder:
a forward hook on the backbone's tokenizer that keeps a detached :class:`TokenRecord` of its
last output. Nothing is registered, and nothing costs anything, while no recorder is
installed::

    with TokenRecorder(model) as recorder:    # a segmentor / detector / recognizer, or a backbone
        model.test_step(batch)
    recorder.last.layout, recorder.last.scores

The tokenizer is found by duck typing, so this module needs nothing from
:mod:`dart_dense.models`: a video backbone's ``clip_tokenizer`` (kept outside the module tree
on purpose, it wraps the registered frame tokenizer) when it has one, else its ``tokenizer``.

Under ``torch.compile`` (e.g. ``CompileModulesHook`` on the backbone) dynamo traces the hook
into a graph compiled while the recorder is installed, and the record is written as in eager
mode (removing the recorder then recompiles once). A graph compiled *without* the hook does not
see a recorder installed later (dynamo does not guard on new module hooks by default), so
install it before the compiled module first runs in that mode. The hooks' val/test loops
qualify: a test run first traces with the recorder in place, and validation during training
runs under ``no_grad`` in eval mode, which retraces anyway.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from mmengine.model import is_model_wrapper
from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle

from dart_dense.structures import TokenLayout

__all__ = ['TokenRecord', 'TokenRecorder', 'find_tokenizer']


@dataclass(frozen=True)
class TokenRecord:
    """Detached geometry of one tokenizer call (fields the tokenizer does not produce are None).

    Attributes:
        layout: the token regions, in network-input pixels (for a video: the B·T' frames'
            padded layout).
        scores: (B, h, w) importance on the partition grid (image tokenizers with a scorer).
        budgets: (B, T') int64 tokens per frame (tubelet) (clip tokenizers).
        importance: (B, T', h, w) clip-standardized importance (clip tokenizers with a scorer).
        frame_index: (B, N) int64 frame (tubelet) of every clip token (clip tokenizers).
    """
    layout: TokenLayout
    scores: Optional[Tensor] = None
    budgets: Optional[Tensor] = None
    importance: Optional[Tensor] = None
    frame_index: Optional[Tensor] = None

    @classmethod
    def from_output(cls, output: Any) -> 'TokenRecord':
        """Record of a ``TokenizerOutput`` or ``ClipTokens`` (anything with a ``layout``)."""
        def detached(name: str) -> Optional[Tensor]:
            value = getattr(output, name, None)
            return value.detach() if isinstance(value, Tensor) else None

        return cls(output.layout.detach(), detached('scores'), detached('budgets'),
                   detached('importance'), detached('frame_index'))


def find_tokenizer(model: nn.Module) -> Optional[nn.Module]:
    """The module whose output describes a model's tokens, or None (e.g. a CNN backbone).

    Args:
        model: a model with a ``backbone`` (a DDP-style wrapper is unwrapped), or a backbone.
    """
    model = model.module if is_model_wrapper(model) else model
    backbone = getattr(model, 'backbone', model)
    source = getattr(backbone, 'clip_tokenizer', None)
    if not isinstance(source, nn.Module):
        source = getattr(backbone, 'tokenizer', None)
    return source if isinstance(source, nn.Module) else None


class TokenRecorder:
    """Keeps the :class:`TokenRecord` of the last tokenizer forward of a model, while installed.

    Use as a context manager, or call :meth:`install` / :meth:`remove` (the hooks install it
    for their val/test loops only).

    Args:
        model: a model with a ``backbone``, or a backbone (see :func:`find_tokenizer`).
        strict: raise when the model has no tokenizer; otherwise the recorder installs
            nothing and :attr:`last` stays None.

    Attributes:
        last: the record of the latest forward since :meth:`install`, or None.
    """

    def __init__(self, model: nn.Module, strict: bool = True):
        self.tokenizer = find_tokenizer(model)
        if self.tokenizer is None and strict:
            raise ValueError(f'model ({type(model).__name__}) has no token geometry to '
                             'record: expected a backbone with a `tokenizer` (or a video '
                             'backbone with a `clip_tokenizer`) module, e.g. DARTViT')
        self.last: Optional[TokenRecord] = None
        self._handle: Optional[RemovableHandle] = None

    @property
    def installed(self) -> bool:
        return self._handle is not None

    def install(self) -> 'TokenRecorder':
        """Start recording (a no-op without a tokenizer or when already installed)."""
        self.last = None
        if self.tokenizer is not None and self._handle is None:
            self._handle = self.tokenizer.register_forward_hook(self._record)
        return self

    def remove(self) -> None:
        """Stop recording; :attr:`last` keeps the last record."""
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def _record(self, module: nn.Module, args: tuple, output: Any) -> None:
        self.last = TokenRecord.from_output(output)

    def __enter__(self) -> 'TokenRecorder':
        return self.install()

    def __exit__(self, *exc_info: Any) -> None:
        self.remove()
