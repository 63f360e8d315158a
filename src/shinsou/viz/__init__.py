"""Pictures (PNG) of what happened in training and what a net does: learning curves,
confusion matrices, labelled image grids, and what is inside a CNN (filters, feature maps,
maximally exciting inputs, saliency). Needs matplotlib (the ``plot`` extra) to draw."""

from .classification import confusion_matrix, plot_confusion_matrix, plot_image_grid  # noqa: F401
from .curves import plot_learning_curves  # noqa: F401
from .inside import (  # noqa: F401
    feature_maps,
    maximize_activation,
    plot_feature_maps,
    plot_filters,
    plot_images,
    saliency_map,
)

# issue 13: detector curves and 2-D code maps
from .detection import plot_det, plot_roc, probit  # noqa: F401,E402
from .embedding import plot_embedding_2d  # noqa: F401,E402
from .image_grid import save_image_grid  # noqa: F401,E402

# issue 14: a generator's pictures over training and along a latent path
from .animation import latent_interpolation, save_gif, save_interpolation  # noqa: F401,E402

# issue 13, pretrain recipe: weight rows as per-filter-scaled images
from .image_grid import save_filter_grid  # noqa: F401,E402

# issue 15, word2vec: words written on a 2-D map of their vectors
from .embedding import plot_word_map  # noqa: F401,E402

# issue 19: the computational graph as Graphviz DOT (and PNG/SVG through `dot`)
from .graph import graph, save_graph  # noqa: F401,E402
