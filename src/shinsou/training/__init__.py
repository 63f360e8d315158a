"""Training: the Updater (named models and optimizers, one step; ``GANUpdater`` for two of
each), the Trainer (a stop trigger and extensions around the plain loop) and the extensions —
evaluation with chosen metrics, JSON-lines log, progress bar, learning-curve PNGs, snapshots
and resume, early stopping, learning-rate schedules. Each extension also works from a
hand-written loop."""

from .early_stopping import EarlyStopping  # noqa: F401
from .gan import GANUpdater  # noqa: F401
from .evaluate import Evaluate, evaluate, predict  # noqa: F401
from .extension import Extension  # noqa: F401
from .log import JSONLinesLog, LogReport, read_log  # noqa: F401
from . import metrics  # noqa: F401
from .lr_schedule import LRSchedule  # noqa: F401
from .plot import PlotCurves  # noqa: F401
from .progress import ProgressBar  # noqa: F401
from .snapshot import (  # noqa: F401
    Snapshot,
    find_snapshots,
    load_updater_state,
    resume_from_snapshots,
    save_snapshot,
)
from .trainer import Trainer  # noqa: F401
from .updater import StandardUpdater, Updater, supervised_step  # noqa: F401
from .trigger import IntervalTrigger, get_trigger  # noqa: F401

# issue 14: a generator's sample grids over training and its measured quality
from .samples import GenerativeQuality, GeneratorSampler, SampleGrid  # noqa: F401,E402

# issue 15: the word2vec / item2vec training loop (fused sparse SGD steps)
from .word2vec import train_word2vec  # noqa: F401,E402

# issue 19: TensorBoard event files (written without TensorBoard)
from .event_file import SummaryWriter, read_events  # noqa: F401,E402
from .tensorboard import TensorBoard, log_report  # noqa: F401,E402
