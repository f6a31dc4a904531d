"""The shipped demo model: loaded from its directory, or trained from nlu/data/*.yml
the first time (the server calls this at start)."""

from __future__ import annotations

import logging
from pathlib import Path

from nlu.encoder import TextEncoder
from nlu.errors import IncompatibleModelError
from nlu.model import MANIFEST, NluModel
from nlu.training_data import load_training_data

__all__ = ["DEMO_DATA_DIR", "ensure_demo_model"]

DEMO_DATA_DIR = Path(__file__).parent / "data"
log = logging.getLogger(__name__)


def ensure_demo_model(
    model_dir: Path, encoder: TextEncoder, data_dir: Path = DEMO_DATA_DIR
) -> NluModel:
    """Load the model in `model_dir`; train and save it there first if none is there.

    A directory holding an incompatible model is retrained too (it is ours to rebuild);
    a corrupt one raises `ModelLoadError` rather than being silently overwritten.
    """
    if (model_dir / MANIFEST).is_file():
        try:
            return NluModel.load(model_dir, encoder)
        except IncompatibleModelError as exc:
            log.warning("retraining the NLU model: %s", exc.reason)
    log.info("training the NLU demo model into %s", model_dir)
    model = NluModel.train(load_training_data([data_dir]), encoder)
    model.save(model_dir)
    return model
