"""Pictures (PNG) of what happened in training and what a net does: learning curves,
confusion matrices, labelled image grids. Needs matplotlib (the ``plot`` extra)."""

from .classification import confusion_matrix, plot_confusion_matrix, plot_image_grid  # noqa: F401
from .curves import plot_learning_curves  # noqa: F401
