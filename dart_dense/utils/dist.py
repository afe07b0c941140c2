"""Distributed training on CPU-only machines with gloo (see ENVIRONMENT.md, item 4).

mmengine 0.10.7 initializes ``launcher='pytorch'``/``'slurm'``/``'mpi'`` runs through
``init_dist``, which calls ``torch.cuda.set_device`` unconditionally and so fails without a GPU.
mmengine skips ``init_dist`` when a process group already exists, so on CPU the entry points
create the gloo group themselves and point the model wrapper at CPU (``device_ids=None``).
Where CUDA is available nothing here runs: the stock nccl path stays untouched.
"""
from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.distributed as dist

__all__ = ['LAUNCHERS', 'rank_environment', 'setup_cpu_distributed', 'shutdown_distributed']

LAUNCHERS: tuple[str, ...] = ('none', 'pytorch', 'slurm', 'mpi')
DEFAULT_MASTER_PORT = '29500'


def _first_slurm_host(node_list: str) -> str:
    """The first host name of a SLURM node list (``node[1-4]`` → ``node1``), via scontrol."""
    out = subprocess.check_output(['scontrol', 'show', 'hostname', node_list], text=True)
    return out.split()[0]


def _require(environ: Mapping[str, str], key: str, launcher: str) -> str:
    """``environ[key]``, or a KeyError that names the variable and the launcher."""
    if key not in environ:
        raise KeyError(f'launcher={launcher!r} needs the environment variable {key}, '
                       'which is not set')
    return environ[key]


def rank_environment(
    launcher: str,
    environ: Mapping[str, str],
    resolve_host: Callable[[str], str] = _first_slurm_host,
) -> dict[str, str]:
    """The ``env://`` variables torch.distributed needs, derived from the launcher's variables.

    ``pytorch`` (torchrun) sets them itself; ``slurm`` and ``mpi`` are translated the way
    mmengine's ``init_dist`` does, without its CUDA calls.

    Args:
        launcher: one of ``'pytorch'``, ``'slurm'``, ``'mpi'``.
        environ: the process environment (``os.environ``).
        resolve_host: maps a SLURM node list to the master host name (``scontrol`` by
            default; injectable for tests).

    Returns:
        dict[str, str]: ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``,
        ``MASTER_PORT``.

    Raises:
        ValueError: ``launcher`` is not a distributed launcher.
        KeyError: a variable the launcher should have set is missing (named in the message).
    """
    if launcher == 'pytorch':
        keys = ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT')
        return {key: _require(environ, key, launcher) for key in keys}
    if launcher == 'slurm':
        return {
            'RANK': _require(environ, 'SLURM_PROCID', launcher),
            'WORLD_SIZE': _require(environ, 'SLURM_NTASKS', launcher),
            'LOCAL_RANK': environ.get('SLURM_LOCALID', '0'),
            'MASTER_ADDR': environ.get('MASTER_ADDR')
            or resolve_host(_require(environ, 'SLURM_NODELIST', launcher)),
            'MASTER_PORT': environ.get('MASTER_PORT', DEFAULT_MASTER_PORT),
        }
    if launcher == 'mpi':
        return {
            'RANK': _require(environ, 'OMPI_COMM_WORLD_RANK', launcher),
            'WORLD_SIZE': _require(environ, 'OMPI_COMM_WORLD_SIZE', launcher),
            'LOCAL_RANK': environ.get('OMPI_COMM_WORLD_LOCAL_RANK', '0'),
            'MASTER_ADDR': _require(environ, 'MASTER_ADDR', launcher),
            'MASTER_PORT': environ.get('MASTER_PORT', DEFAULT_MASTER_PORT),
        }
    raise ValueError(f'launcher must be one of {LAUNCHERS[1:]} here, got {launcher!r}')


def setup_cpu_distributed(cfg: Any, launcher: str) -> bool:
    """On a machine without CUDA, starts a gloo process group and adapts ``cfg`` to it.

    Call it after the config is final and before ``Runner.from_cfg``. It sets
    ``cfg.model_wrapper_cfg`` (``MMDistributedDataParallel`` with ``device_ids=None``; other
    keys of an existing wrapper config are kept) and ``cfg.env_cfg.dist_cfg.backend='gloo'``.

    Args:
        cfg: the mmengine ``Config`` of the run; modified in place.
        launcher: ``--launcher`` of the entry point, one of :data:`LAUNCHERS`.

    Returns:
        bool: True if the CPU (gloo) path was set up; False for ``launcher='none'`` or when
        CUDA is available (mmengine's own nccl initialization then runs unchanged).

    Raises:
        ValueError: ``launcher`` is not one of :data:`LAUNCHERS`.
    """
    if launcher not in LAUNCHERS:
        raise ValueError(f'launcher must be one of {LAUNCHERS}, got {launcher!r}')
    if launcher == 'none' or torch.cuda.is_available():
        return False
    # torchrun already exported these; slurm/mpi ranks get them translated here.
    os.environ.update(rank_environment(launcher, os.environ))
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo', init_method='env://')

    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None  # CPU modules: DDP must not be given device ids
    wrapper.setdefault('broadcast_buffers', False)  # mmengine's own default for DDP
    cfg.model_wrapper_cfg = wrapper

    env_cfg = cfg.get('env_cfg') or {}
    dist_cfg = dict(env_cfg.get('dist_cfg') or {})
    dist_cfg['backend'] = 'gloo'
    env_cfg['dist_cfg'] = dist_cfg
    cfg.env_cfg = env_cfg
    return True


def shutdown_distributed() -> None:
    """Ends a distributed run cleanly: every rank waits for the others, then leaves the group.

    Without it each process exits while its gloo communication threads may still be tearing
    down, and a rank occasionally aborts after finishing its work ("terminate called without
    an active exception", SIGABRT; seen with ``tools/dist_test.sh`` on CPU), which torchrun
    reports as a failed run. Call it after a run succeeded (not on the error path: the barrier
    would wait for a rank that is gone). No-op outside a gloo run: the stock nccl path on GPUs
    stays mmengine's.
    """
    if dist.is_available() and dist.is_initialized() and dist.get_backend() == 'gloo':
        dist.barrier()
        dist.destroy_process_group()
