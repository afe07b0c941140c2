"""CPU (gloo) set-up of distributed runs, and that CUDA machines are left alone."""
from __future__ import annotations

import socket

import pytest
import torch
import torch.distributed as dist
from mmengine.config import Config

from dart_dense.utils.dist import rank_environment, setup_cpu_distributed, shutdown_distributed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _config(**extra: object) -> Config:
    return Config(dict(model=dict(type='M'), env_cfg=dict(dist_cfg=dict(backend='nccl')), **extra))


def test_no_launcher_changes_nothing() -> None:
    cfg = _config()
    assert setup_cpu_distributed(cfg, 'none') is False
    assert 'model_wrapper_cfg' not in cfg
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'


def test_unknown_launcher_is_named() -> None:
    with pytest.raises(ValueError, match="'torchrun'"):
        setup_cpu_distributed(_config(), 'torchrun')


def test_cuda_machine_keeps_stock_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    cfg = _config()
    assert setup_cpu_distributed(cfg, 'pytorch') is False
    assert 'model_wrapper_cfg' not in cfg
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    assert not dist.is_initialized()


@pytest.mark.skipif(torch.cuda.is_available(), reason='the gloo path is for CPU-only machines')
def test_cpu_pytorch_launcher_inits_gloo(monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-rank group stands in for torchrun (the 2-rank run is tests/test_tools)."""
    for key, value in dict(RANK='0', WORLD_SIZE='1', LOCAL_RANK='0', MASTER_ADDR='127.0.0.1',
                           MASTER_PORT=str(_free_port())).items():
        monkeypatch.setenv(key, value)
    cfg = _config(model_wrapper_cfg=dict(type='MMDistributedDataParallel',
                                         find_unused_parameters=True))
    try:
        assert setup_cpu_distributed(cfg, 'pytorch') is True
        assert dist.is_initialized()
        assert dist.get_backend() == 'gloo'
        assert dist.get_world_size() == 1
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    assert cfg.model_wrapper_cfg == dict(type='MMDistributedDataParallel', device_ids=None,
                                         broadcast_buffers=False, find_unused_parameters=True)
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'


@pytest.mark.skipif(torch.cuda.is_available(), reason='the gloo path is for CPU-only machines')
def test_shutdown_leaves_the_group_and_is_a_no_op_without_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    shutdown_distributed()  # not distributed: nothing to do, no error
    for key, value in dict(RANK='0', WORLD_SIZE='1', LOCAL_RANK='0', MASTER_ADDR='127.0.0.1',
                           MASTER_PORT=str(_free_port())).items():
        monkeypatch.setenv(key, value)
    try:
        setup_cpu_distributed(_config(), 'pytorch')
        assert dist.is_initialized()
        shutdown_distributed()
        assert not dist.is_initialized()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def test_rank_environment_slurm() -> None:
    environ = {'SLURM_PROCID': '5', 'SLURM_NTASKS': '8', 'SLURM_LOCALID': '1',
               'SLURM_NODELIST': 'node[3-4]'}
    env = rank_environment('slurm', environ, resolve_host=lambda nodes: f'first-of-{nodes}')
    assert env == {'RANK': '5', 'WORLD_SIZE': '8', 'LOCAL_RANK': '1',
                   'MASTER_ADDR': 'first-of-node[3-4]', 'MASTER_PORT': '29500'}
    env = rank_environment('slurm', {**environ, 'MASTER_ADDR': 'head', 'MASTER_PORT': '1234'},
                           resolve_host=lambda nodes: pytest.fail('must not resolve'))
    assert (env['MASTER_ADDR'], env['MASTER_PORT']) == ('head', '1234')


def test_rank_environment_mpi_and_missing_variables() -> None:
    environ = {'OMPI_COMM_WORLD_RANK': '2', 'OMPI_COMM_WORLD_SIZE': '4',
               'OMPI_COMM_WORLD_LOCAL_RANK': '0', 'MASTER_ADDR': 'head'}
    assert rank_environment('mpi', environ) == {'RANK': '2', 'WORLD_SIZE': '4', 'LOCAL_RANK': '0',
                                                'MASTER_ADDR': 'head', 'MASTER_PORT': '29500'}
    with pytest.raises(KeyError, match='MASTER_ADDR'):
        rank_environment('mpi', {'OMPI_COMM_WORLD_RANK': '0', 'OMPI_COMM_WORLD_SIZE': '1'})
    with pytest.raises(KeyError, match='WORLD_SIZE'):
        rank_environment('pytorch', {'RANK': '0'})
    with pytest.raises(ValueError, match="'none'"):
        rank_environment('none', {})
