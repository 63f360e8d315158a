"""Reusable architectures."""

from .cnn import AlexNet, AlexNetSmall, LeNet5, VGGNet  # noqa: F401
from .mlp import MLP  # noqa: F401
from .perceptron import NotConvergedWarning, Perceptron  # noqa: F401

# RBMs, deep belief nets and annealed importance sampling (issue 13)
from .ais import (  # noqa: F401
    AISEstimate,
    ais_betas,
    ais_log_partition,
    base_rate_bias,
    exact_log_partition,
    log_likelihood,
)
from .rbm import DBN, RBM  # noqa: F401

# issue 13: autoencoder models
from .autoencoder import (  # noqa: F401, E402
    Autoencoder,
    ConvAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    kl_sparsity,
    l1_sparsity,
    reconstruction_loss,
)
from .deep_svdd import DeepSVDD  # noqa: F401, E402
from .stacked import StackedAutoencoder  # noqa: F401, E402
from .vae import VAE, gaussian_kl, vae_loss  # noqa: F401, E402

# issue 14: GAN models
from .gan import (  # noqa: F401, E402
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
    WGANCritic,
    dcgan_init,
    gradient_penalty,
)

# issue 15: word2vec (skip-gram / CBOW with negative sampling), also item2vec's model
from .word2vec import Word2Vec  # noqa: F401, E402

# issue 15: the recurrent language model of the ptb-lm recipe
from .language_model import RNNLanguageModel, detach_state  # noqa: F401, E402
from .sequence_classifier import SequenceClassifier  # noqa: F401, E402

# issue 16: encoder-decoder translation models
from .seq2seq import Seq2SeqLSTM  # noqa: F401, E402
from .seq2seq import TransformerTranslator  # noqa: F401, E402
