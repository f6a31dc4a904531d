"""`switchboard nlu train|test`: train a model from Rasa YAML files, evaluate one."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli.help_format import WholeHelpGroup

if TYPE_CHECKING:  # the nlu package pulls in scikit-learn: imported when a command runs
    from bot.settings import Settings
    from nlu import TextEncoder

__all__ = ["nlu"]

_STAGES = ["encoding", "calibrating", "cross-validating", "fitting", "done"]
_SHARE_HELP = (
    "share of in-scope messages that may fall back (0 < x < 0.5), measured on held-out "
    "folds; default: SWITCHBOARD_NLU__MAX_IN_SCOPE_FALLBACK (0.03)"
)
_SHARE = click.FloatRange(0.0, 0.5, min_open=True, max_open=True)


def _settings() -> Settings:
    from bot.cli.settings_errors import load_settings

    return load_settings()


def _encoder() -> TextEncoder:
    click.echo("loading the sentence model…", err=True)
    from bot.wiring.bootstrap import open_encoder

    return open_encoder(_settings())


def _fallback_share(given: float | None) -> float:
    """The option if given, else the setting (the server's threshold follows the same)."""
    return given if given is not None else _settings().nlu.max_in_scope_fallback


@click.group(cls=WholeHelpGroup)
@click.pass_context
def nlu(ctx: click.Context) -> None:
    """Train and evaluate the NLU model."""
    ctx.ensure_object(dict)


def _encoder_from(ctx: click.Context) -> TextEncoder:
    # Tests put a fake encoder in ctx.obj; the real one is built only when needed.
    found = (ctx.obj or {}).get("encoder")
    return found if found is not None else _encoder()


@nlu.command()
@click.argument("data", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "model_dir", required=True, type=click.Path(path_type=Path))
@click.option("--max-in-scope-fallback", "share", type=_SHARE, help=_SHARE_HELP)
@click.pass_context
def train(ctx: click.Context, data: tuple[Path, ...], model_dir: Path, share: float | None) -> None:
    """Train on DATA (Rasa NLU YAML files or folders) and save to --out."""
    from nlu import ClassifierConfig, NluError, NluModel, load_training_data

    config = ClassifierConfig(max_in_scope_fallback=_fallback_share(share))
    try:
        training_data = load_training_data(data)
        encoder = _encoder_from(ctx)
        started = time.perf_counter()
        with click.progressbar(length=len(_STAGES), label="training") as bar:
            model = NluModel.train(
                training_data, encoder, config, progress=lambda _stage: bar.update(1)
            )
        seconds = time.perf_counter() - started
        model.save(model_dir)
    except NluError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"trained {len(model.intents)} intents on {len(training_data.examples)} examples "
        f"in {seconds:.1f} s -> {model_dir}"
    )
    click.echo(_operating_point(model.metadata))


def _operating_point(manifest: dict[str, Any]) -> str:
    if "held_out_in_scope_messages" not in manifest:
        return f"out-of-scope threshold {manifest['threshold']:.3f}"
    return (
        f"out-of-scope threshold {manifest['threshold']:.3f} for at most "
        f"{manifest['max_in_scope_fallback']:.1%} in-scope fallback: "
        f"{manifest['held_out_in_scope_fallback_rate']:.1%} of "
        f"{manifest['held_out_in_scope_messages']} held-out in-scope messages fall back "
        f"({manifest['folds']}-fold cross-validation, held-out accuracy "
        f"{manifest['held_out_accuracy']:.1%})"
    )


@nlu.command()
@click.argument("data", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--model", "model_dir", required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.option("--max-in-scope-fallback", "share", type=_SHARE, help=_SHARE_HELP)
@click.pass_context
def test(
    ctx: click.Context,
    data: tuple[Path, ...],
    model_dir: Path,
    as_json: bool,
    share: float | None,
) -> None:
    """Evaluate the model in --model on DATA, at the threshold the server would use."""
    from nlu import NluError, NluModel, evaluate_intents, load_training_data

    try:
        examples = load_training_data(data, for_training=False).examples
        model = NluModel.load(model_dir, _encoder_from(ctx), _fallback_share(share))
    except NluError as exc:
        raise click.ClickException(str(exc)) from exc
    _warn_of_unknown_intents([e.intent for e in examples], model.intents)
    results, seen = model.evaluate_many([example.text for example in examples])
    report = evaluate_intents([e.intent for e in examples], [r.intent.name for r in results])
    _warn_of_training_examples(sum(seen), len(seen))
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    _print_report(report.to_dict())


def _warn_of_training_examples(seen: int, total: int) -> None:
    """Warn, on standard error, when the test data holds examples the model was trained
    on: its figures for them say it remembers, not that it understands new messages."""
    if seen:
        click.echo(
            f"warning: {seen} of {total} test examples ({seen / total:.0%}) are in the "
            "model's training data; their results overstate accuracy on new messages "
            "(test on examples kept out of training)",
            err=True,
        )


def _warn_of_unknown_intents(expected: list[str], known: list[str]) -> None:
    """Warn, on standard error, of each intent in the test data the model does not have:
    its examples can only score 0 (often a renamed intent, "handoff" for
    "human_handoff"), and the report alone does not say why. The fallback intent is
    never a model's own: test data label out-of-scope messages with it."""
    import difflib

    from nlu import FALLBACK_INTENT

    counts = Counter(name for name in expected if name not in known and name != FALLBACK_INTENT)
    for name, examples in sorted(counts.items()):
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f"close names: {', '.join(close)}" if close else "no close name in it"
        click.echo(
            f"warning: the model has no intent {name!r} ({examples} example"
            f"{'s' if examples > 1 else ''} in the data score 0); {hint}",
            err=True,
        )


def _print_report(report: dict[str, Any]) -> None:
    click.echo(f"examples:  {report['examples']}")
    click.echo(f"accuracy:  {report['accuracy']:.4f}")
    click.echo(f"macro F1:  {report['macro_f1']:.4f}")
    click.echo("per-intent F1:")
    for intent, score in sorted(report["per_intent_f1"].items(), key=lambda item: item[1]):
        click.echo(f"  {score:.3f}  {intent}")
    if report["top_confusions"]:
        click.echo("top confusions (expected -> predicted):")
        for row in report["top_confusions"]:
            click.echo(f"  {row['count']:4d}  {row['expected']} -> {row['predicted']}")
