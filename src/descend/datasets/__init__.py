"""Small real data sets, loaded offline-first with SHA-256 checks (``keras.datasets`` style).

Each submodule has a ``load_data(path=None)`` that returns ``(x_train, y_train), (x_test, y_test)``:

- :mod:`descend.datasets.mnist`: handwritten digits, uint8 (60000, 28, 28) / (10000, 28, 28).
- :mod:`descend.datasets.fashion_mnist`: clothing images, same shapes as MNIST.
- :mod:`descend.datasets.mnist1d`: MNIST-1D, float64 (4000, 40) / (1000, 40).
- :mod:`descend.datasets.imdb`, :mod:`descend.datasets.reuters`: word-index sequences
  (``num_words``, ``skip_top``, ``maxlen``...; object arrays read without pickle code).
- :mod:`descend.datasets.cifar10`, :mod:`descend.datasets.cifar100`: colour images, uint8
  (50000, 32, 32, 3) / (10000, 32, 32, 3), labels (n, 1).
- :mod:`descend.datasets.boston_housing`, :mod:`descend.datasets.california_housing`:
  tabular regression, shuffled and split with ``test_split`` and ``seed``.
- :mod:`descend.datasets.side_effects`: the drug-trial ages of the course "How a Neural
  Network Learns" (generated, no file).

Files are looked for under ``path``, else ``$DESCEND_DATASETS``, else ``~/.descend/datasets``,
in one folder per data set (``mnist/``, ``fashion-mnist/``, ``mnist1d/``).

Examples
--------
>>> from descend import datasets
>>> datasets.mnist.SUBDIR, datasets.fashion_mnist.SUBDIR, datasets.mnist1d.SUBDIR
('mnist', 'fashion-mnist', 'mnist1d')
"""

from . import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    mnist1d,
    reuters,
    side_effects,
)
from ._download import DATASETS_ENV, datasets_root

__all__ = ["DATASETS_ENV", "boston_housing", "california_housing", "cifar10", "cifar100",
           "datasets_root", "fashion_mnist", "imdb", "mnist", "mnist1d", "reuters",
           "side_effects"]
