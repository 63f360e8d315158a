"""Feeding data to a net: datasets, the DataLoader (full batch, mini-batch or online) and
transforms. Dataset files (MNIST, Fashion-MNIST, ...) are found and checked by
``shinsou.datasets``."""

from .dataset import Dataset, Subset, TensorDataset, collate, random_split  # noqa: F401
from .loader import MODES, DataLoader  # noqa: F401
from .transforms import AsType, Compose, Flatten, OneHot, Scale01, Standardize  # noqa: F401
from .augment import (  # noqa: F401
    AddGaussianNoise,
    ElasticDistortion,
    RandomAffine,
    RandomCrop,
    RandomHorizontalFlip,
    RandomMask,
    RandomVerticalFlip,
    SaltAndPepperNoise,
    affine,
    gaussian_blur,
    remap,
)
from .preprocess import GlobalContrastNormalize, PerPixelStandardize, ZCAWhitening  # noqa: F401

# issue 11, part 3: collate_fn, samplers, worker processes, iterable datasets, padding
from .collate import default_collate  # noqa: F401, E402
from .dataset import IterableDataset  # noqa: F401, E402
from .padding import pad_sequence  # noqa: F401, E402
from .sampler import (  # noqa: F401, E402
    BatchSampler,
    BucketBatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from .worker import WorkerInfo, get_worker_info  # noqa: F401, E402

# issue 13, autoencoder models: corruptions for denoising autoencoders
from .noise import RandomLines, corruption  # noqa: F401, E402

# issue 13, pretrain recipe: class-balanced few-label subsets (also used by transfer)
from .subset import labelled_subset  # noqa: F401, E402

# issue 15, ptb-lm: the token <-> id map (shared with word2vec/item2vec)
from .vocabulary import Vocabulary  # noqa: F401, E402
from .bptt import BPTTIterator  # noqa: F401, E402

# issue 15, word2vec: subsampling, the noise distribution, skip-gram pairs and CBOW windows
from .word2vec import (  # noqa: F401, E402
    NoiseDistribution,
    cbow_examples,
    skipgram_pairs,
    subsample,
    subsample_keep_prob,
)

# issue 16, translation: sentence pairs as ids and their padding collate
from .parallel import ParallelDataset, TranslationCollate  # noqa: F401, E402
