"""Evaluation metrics on NumPy arrays (Tensors and CuPy arrays accepted): ROC, DET and
precision–recall curves with their areas for detectors and anomaly scores, and PCA, the
linear baseline for reconstructions and codes; and the quality of generated images
(Fréchet distance, classifier score, class histogram) measured with a reference
classifier. Conventions follow scikit-learn's."""

from ._inputs import to_numpy  # noqa: F401
from .pca import PCA  # noqa: F401
from .precision_recall import average_precision_score, precision_recall_curve  # noqa: F401
from .roc import auc, confusion_counts, det_curve, roc_auc_score, roc_curve  # noqa: F401

# issue 14: the quality of generated images
from .generative import (  # noqa: F401,E402
    GenerativeEvaluator,
    class_histogram,
    classifier_score,
    feature_statistics,
    frechet_distance,
    load_statistics,
    mode_coverage,
    save_statistics,
)
from .reference import reference_cache_dir, reference_classifier  # noqa: F401,E402
