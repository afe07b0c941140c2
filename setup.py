"""dart_dense: content-adaptive region tokens (DART) as OpenMMLab dense-prediction backbones.

Requirements are loose ranges (requirements/*.txt): the user's own torch build and OpenMMLab's
prebuilt mmcv wheels are kept. The tested CPU stack is pinned in requirements/constraints.txt,
which only tools/setup_env.sh applies.
"""
from pathlib import Path

from setuptools import find_packages, setup

REQUIREMENTS = Path(__file__).parent / 'requirements'


def read_requirements(name: str) -> list[str]:
    """The requirement lines of ``requirements/NAME`` (comments and blank lines dropped)."""
    lines = (REQUIREMENTS / name).read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith('#')]


TASK_EXTRAS = {task: read_requirements(f'{task}.txt') for task in ('seg', 'det', 'video')}

setup(
    name='dart_dense',
    version='0.1.0',
    description='Content-adaptive region tokens (DART) for mmseg, mmdet and mmaction2',
    long_description=Path(__file__).with_name('README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    python_requires='>=3.10',
    packages=find_packages(include=['dart_dense', 'dart_dense.*']),
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        **TASK_EXTRAS,
        'all': sorted({req for reqs in TASK_EXTRAS.values() for req in reqs}),
        'tests': read_requirements('tests.txt'),
        'mim': read_requirements('mminstall.txt'),
    },
    license='Apache-2.0',
)
