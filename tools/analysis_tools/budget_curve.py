"""Accuracy of one trained DART segmentor at several test-time token budgets.

    python tools/analysis_tools/budget_curve.py CONFIG CHECKPOINT --budgets 25 49 64 81 100
        [--reference evidence.json] [--plot docs/figures/budget_curve.png] [--json OUT]
        [--update-docs docs/benchmarks.md] [--work-dir DIR] [--threads 1]

The budget is a knob of the trained model: for every M the config is re-read with
``model.backbone.tokenizer.num_tokens=M`` (the same override works on the command line of
``tools/test.py``), the checkpoint loaded and the test split evaluated with mmengine's Runner
and the config's own evaluator. Writes mIoU per budget (and ``mIoU_things`` when the evaluator
reports it, as the evidence configs' ``ClassIoUMetric`` does), a PNG plot (matplotlib, Agg) with
the fixed-grid results of an evidence-study JSON as reference lines, and optionally a markdown
table into the ``budget-curve`` section of a docs file.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout

import dart_dense  # noqa: E402,F401  (compat shims first)
from tools.analysis_tools.helpers import torch_threads, update_section, write_json  # noqa: E402


def evaluate(config: str, checkpoint: str, num_tokens: int, work_dir: str) -> dict[str, float]:
    """Test metrics of ``checkpoint`` with the tokenizer budget set to ``num_tokens``."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    from dart_dense.utils.checkpoint import mmengine_checkpoint_globals

    cfg = Config.fromfile(config)
    if cfg.model.backbone.get('tokenizer', {}).get('type') != 'DARTTokenizer':
        raise ValueError(f'{config}: model.backbone.tokenizer must be a DARTTokenizer to vary '
                         'the token budget')
    cfg.merge_from_dict({'model.backbone.tokenizer.num_tokens': num_tokens})
    cfg.model.backbone.tokenizer.pop('token_ratio', None)
    cfg.load_from = checkpoint
    cfg.resume = False
    cfg.work_dir = work_dir
    cfg.log_level = 'WARNING'
    cfg.experiment_name = f'budget{num_tokens}_{time.strftime("%H%M%S")}'
    runner = Runner.from_cfg(cfg)
    with mmengine_checkpoint_globals():
        metrics = runner.test()
    return {k: float(v) for k, v in metrics.items()}


def plot(results: list[dict], out: Path, reference: dict | None = None,
         trained_budget: int | None = None) -> None:
    """mIoU (and things mIoU) vs budget, with reference lines from an evidence study."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    budgets = [r['num_tokens'] for r in results]
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    keys = [('mIoU', 'all classes', 'C0')]
    if all('mIoU_things' in r['metrics'] for r in results):
        keys.append(('mIoU_things', 'thing classes', 'C1'))
    for key, label, colour in keys:
        ax.plot(budgets, [r['metrics'][key] for r in results], 'o-', color=colour,
                label=f'DART, {label}')
        for variant, style in (('grid_N', '--'), ('grid_2N', ':')):
            stats = (reference or {}).get('summary', {}).get(key, {}).get(variant)
            if stats:
                ax.axhline(stats['mean'], color=colour, linestyle=style, linewidth=1,
                           label=f'{variant} ({label}, mean of seeds)')
    if trained_budget is not None:
        ax.axvline(trained_budget, color='grey', linewidth=0.8)
        ax.text(trained_budget, ax.get_ylim()[0], ' trained', color='grey', va='bottom',
                ha='right', rotation=90, fontsize=8)
    ax.set_xlabel('test-time token budget N')
    ax.set_ylabel('mIoU (%)')
    ax.set_title('One DART model evaluated at several budgets')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)


def markdown_table(results: list[dict]) -> str:
    things = all('mIoU_things' in r['metrics'] for r in results)
    lines = ['| test-time budget N | mIoU (all) |' + (' mIoU (things) |' if things else ''),
             '|---|---|' + ('---|' if things else '')]
    for r in results:
        row = f'| {r["num_tokens"]} | {r["metrics"]["mIoU"]:.2f} |'
        if things:
            row += f' {r["metrics"]["mIoU_things"]:.2f} |'
        lines.append(row)
    return '\n'.join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='mIoU of one model at several token budgets')
    parser.add_argument('config', help='config of the trained model (DARTTokenizer)')
    parser.add_argument('checkpoint', help='its checkpoint')
    parser.add_argument('--budgets', type=int, nargs='+', required=True)
    parser.add_argument('--reference', help='evidence-study JSON (grid reference lines)')
    parser.add_argument('--plot', default='docs/figures/budget_curve.png')
    parser.add_argument('--json', help='write the results here')
    parser.add_argument('--update-docs', help='markdown file whose budget-curve section is '
                                              'replaced with the table')
    parser.add_argument('--work-dir', default='work_dirs/budget_curve')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch intra-op threads (1 suits a shared 2-core machine)')
    args = parser.parse_args(argv)
    for name in ('config', 'checkpoint'):
        if not Path(getattr(args, name)).is_file():
            parser.error(f'{name} {getattr(args, name)!r} is not a file')
    if min(args.budgets) < 1:
        parser.error(f'--budgets must be positive, got {args.budgets}')
    return args


def main(argv: list[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    with torch_threads(args.threads):
        return curve(args)


def curve(args: argparse.Namespace) -> list[dict]:
    """Evaluate every budget, plot, write the JSON and the docs table."""
    from mmengine.config import Config  # its custom_imports register the config's classes
    trained = Config.fromfile(args.config).model.backbone.tokenizer.get('num_tokens')
    results = []
    for m in sorted(set(args.budgets)):
        metrics = evaluate(args.config, args.checkpoint, m, args.work_dir)
        results.append(dict(num_tokens=m, metrics=metrics))
        print(f'N={m}: mIoU {metrics["mIoU"]:.2f}' + (
            f', things {metrics["mIoU_things"]:.2f}' if 'mIoU_things' in metrics else ''),
            flush=True)
    reference = json.loads(Path(args.reference).read_text()) if args.reference else None
    plot(results, Path(args.plot), reference, trained)
    if args.json:
        write_json(args.json, dict(config=args.config, checkpoint=args.checkpoint,
                                   trained_budget=trained, results=results))
    table = markdown_table(results)
    print(table)
    if args.update_docs:
        update_section(args.update_docs, 'budget-curve', table)
    return results


if __name__ == '__main__':
    main()
