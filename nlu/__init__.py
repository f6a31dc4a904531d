"""Natural-language understanding: intents, entities and out-of-scope detection from
Rasa-format training data. Imports none of Switchboard's other packages; the sentence
encoder comes in through the `TextEncoder` protocol."""

from nlu.classifier import ClassifierConfig
from nlu.demo import DEMO_DATA_DIR, ensure_demo_model
from nlu.encoder import TextEncoder
from nlu.entities import EntityExtractor
from nlu.entity import Entity
from nlu.errors import IncompatibleModelError, ModelLoadError, NluError, TrainingDataError
from nlu.evaluation import EvaluationReport, evaluate_intents
from nlu.model import FORMAT_VERSION, NluModel
from nlu.rasa_backend import RasaBackendError, RasaHttpParser
from nlu.result import FALLBACK_INTENT, IntentScore, ParseResult, ScopeScore
from nlu.training_data import Example, TrainingData, load_training_data, parse_training_yaml

__all__ = [
    "DEMO_DATA_DIR",
    "FALLBACK_INTENT",
    "FORMAT_VERSION",
    "ClassifierConfig",
    "Entity",
    "EntityExtractor",
    "EvaluationReport",
    "Example",
    "IncompatibleModelError",
    "IntentScore",
    "ModelLoadError",
    "NluError",
    "NluModel",
    "ParseResult",
    "RasaBackendError",
    "RasaHttpParser",
    "ScopeScore",
    "TextEncoder",
    "TrainingData",
    "TrainingDataError",
    "ensure_demo_model",
    "evaluate_intents",
    "load_training_data",
    "parse_training_yaml",
]
