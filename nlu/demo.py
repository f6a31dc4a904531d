"""The shipped demo model: loaded from its directory, or trained from nlu/data/*.yml
the first time (the server calls this at start), for the server's
`nlu.max_in_scope_fallback`."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from nlu.classifier import ClassifierConfig
from nlu.encoder import TextEncoder
from nlu.errors import IncompatibleModelError
from nlu.model import MANIFEST, NluModel
from nlu.training_data import load_training_data

__all__ = ["DEMO_DATA_DIR", "ensure_demo_model"]

DEMO_DATA_DIR = Path(__file__).parent / "data"
log = logging.getLogger(__name__)


def ensure_demo_model(
    model_dir: Path,
    encoder: TextEncoder,
    data_dir: Path = DEMO_DATA_DIR,
    max_in_scope_fallback: float = ClassifierConfig.max_in_scope_fallback,
) -> NluModel:
    """Load the model in `model_dir`; train and save it there first if none is there.

    A directory holding an incompatible model is retrained too (it is ours to rebuild),
    and so is one saved without held-out scores, whose threshold could not follow
    `max_in_scope_fallback`. A loaded model's threshold is re-picked for the share
    (nlu/model.py); a corrupt one raises `ModelLoadError` rather than being silently
    overwritten.
    """
    if (model_dir / MANIFEST).is_file():
        try:
            model = NluModel.load(model_dir, encoder)
        except IncompatibleModelError as exc:
            log.warning("retraining the NLU model: %s", exc.reason)
        else:
            if model.keeps_held_out_scores:
                model.set_fallback_share(max_in_scope_fallback)
                return model
            log.warning("retraining the NLU model: it keeps no held-out scores")
    # Said when it starts and when it ends: the first start trains for tens of seconds
    # with nothing else to show (a new operator took the silence for a hang).
    log.info("training the NLU demo model into %s (first start only)", model_dir)
    started = time.monotonic()
    config = ClassifierConfig(max_in_scope_fallback=max_in_scope_fallback)
    model = NluModel.train(load_training_data([data_dir]), encoder, config)
    model.save(model_dir)
    log.info("NLU demo model trained in %.0f s", time.monotonic() - started)
    return model
