"""Command-line tools of dart_dense (run as scripts: ``python tools/train.py ...``).

A package only so that the analysis tools share their helpers with a plain import
(``from tools.analysis_tools.helpers import ...``, from the repository root on ``sys.path``);
nothing here is installed with ``dart_dense``.
"""
