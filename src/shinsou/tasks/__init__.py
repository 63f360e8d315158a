"""Tasks: what the recipes of one kind of learning share — metrics, pictures, report
sections, and the commands their runs answer (``predict``, ``sample``, ...).

Layers: recipes use tasks; tasks use training, viz and datasets, never recipes.
"""

from .anomaly import AnomalyDetection
from .base import Task
from .classification import Classification, ImageClassification
from .generation import Generation
from .language import LanguageModelling, Translation
from .reconstruction import Reconstruction

__all__ = [
    "Task",
    "Classification",
    "ImageClassification",
    "Reconstruction",
    "Generation",
    "LanguageModelling",
    "Translation",
    "AnomalyDetection",
]

# issue 15: word2vec / item2vec (nearest neighbours, `shinsou recommend`, ranking evaluation)
from .embedding import Embeddings  # noqa: E402

__all__ += ["Embeddings"]
