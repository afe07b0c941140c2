"""CompileModulesHook: ``torch.compile`` chosen submodules of the model before a run."""
from typing import Any, Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class CompileModulesHook(Hook):
    """Compile the named submodules (default the backbone) in place with ``Module.compile``.

    mmengine 0.10's runner option ``compile=True`` compiles the whole ``train_step``, the
    optimizer step included, which dynamo of torch 2.13 cannot trace (an
    ``InternalTorchDynamoError`` inside ``torch/optim/adam.py``, for any model). Compiling the
    network's modules instead leaves the optimizer, the data preprocessor and the losses
    eager. A DART backbone compiles as one graph (no host syncs, no data-dependent branch).

    Args:
        modules: dotted names of submodules of the (unwrapped) model, e.g.
            ``('backbone', 'decode_head')``.
        **compile_kwargs: passed to ``torch.compile`` (``mode``, ``backend``, ``dynamic``,
            ``fullgraph`` ...).
    """

    priority = 'VERY_HIGH'  # before any other hook runs the model

    def __init__(self, modules: Sequence[str] = ('backbone',), **compile_kwargs: Any):
        if isinstance(modules, str) or not modules:
            raise ValueError(f'modules must be a non-empty list of submodule names, '
                             f'got {modules!r}')
        self.modules = tuple(modules)
        self.compile_kwargs = compile_kwargs

    def before_run(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        for name in self.modules:
            try:
                module = model.get_submodule(name)
            except AttributeError as err:
                raise ValueError(f'CompileModulesHook: the model has no submodule {name!r}') \
                    from err
            module.compile(**self.compile_kwargs)
        runner.logger.info(f'CompileModulesHook: compiled {", ".join(self.modules)} '
                           f'({self.compile_kwargs or "default options"}); the first '
                           'iterations include the compilation')
