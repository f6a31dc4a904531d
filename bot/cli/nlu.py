"""`switchboard nlu train|test`: train a model from Rasa YAML files, evaluate one."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # the nlu package pulls in scikit-learn: imported when a command runs
    from nlu import TextEncoder

__all__ = ["nlu"]

_STAGES = ["encoding", "calibrating", "fitting", "done"]


def _encoder() -> TextEncoder:
    click.echo("loading the sentence model…", err=True)
    from pydantic import ValidationError

    from bot.settings import Settings
    from bot.wiring.bootstrap import open_encoder

    try:
        settings = Settings()
    except ValidationError as exc:
        raise click.ClickException(f"invalid settings:\n{exc}") from exc
    return open_encoder(settings)


@click.group()
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
@click.pass_context
def train(ctx: click.Context, data: tuple[Path, ...], model_dir: Path) -> None:
    """Train on DATA (Rasa NLU YAML files or folders) and save to --out."""
    from nlu import NluError, NluModel, load_training_data

    try:
        training_data = load_training_data(data)
        encoder = _encoder_from(ctx)
        started = time.perf_counter()
        with click.progressbar(length=len(_STAGES), label="training") as bar:
            model = NluModel.train(training_data, encoder, progress=lambda _stage: bar.update(1))
        seconds = time.perf_counter() - started
        model.save(model_dir)
    except NluError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"trained {len(model.intents)} intents on {len(training_data.examples)} examples "
        f"in {seconds:.1f} s (out-of-scope threshold {model.threshold:.3f}) -> {model_dir}"
    )


@nlu.command()
@click.argument("data", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--model", "model_dir", required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.pass_context
def test(ctx: click.Context, data: tuple[Path, ...], model_dir: Path, as_json: bool) -> None:
    """Evaluate the model in --model on DATA."""
    from nlu import NluError, NluModel, evaluate_intents, load_training_data

    try:
        examples = load_training_data(data, for_training=False).examples
        model = NluModel.load(model_dir, _encoder_from(ctx))
    except NluError as exc:
        raise click.ClickException(str(exc)) from exc
    results = model.parse_many([example.text for example in examples])
    report = evaluate_intents([e.intent for e in examples], [r.intent.name for r in results])
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    _print_report(report.to_dict())


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
