"""Evaluation metrics on NumPy arrays (Tensors and CuPy arrays accepted): ROC, DET and
precision–recall curves with their areas for detectors and anomaly scores, and PCA, the
linear baseline for reconstructions and codes. Conventions follow scikit-learn's."""

from ._inputs import to_numpy  # noqa: F401
from .pca import PCA  # noqa: F401
from .precision_recall import average_precision_score, precision_recall_curve  # noqa: F401
from .roc import auc, confusion_counts, det_curve, roc_auc_score, roc_curve  # noqa: F401
