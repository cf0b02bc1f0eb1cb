"""``ember.transforms``: image preparation and augmentation with torchvision.transforms' names.

Inputs are NumPy arrays H×W / H×W×C (what ``ember.datasets`` return) or ember Tensors C×H×W (what ``ToTensor``
returns); each transform returns the kind it got. Random transforms draw from ember's global random stream
(``ember.manual_seed`` reproduces them). Per-image functions are in ``ember.transforms.functional``.

    import ember.transforms as T
    train_tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),
                          T.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))])
"""
from . import functional
from .functional import InterpolationMode
from .transforms import (Transform, Compose, ToTensor, ConvertImageDtype, Normalize, Resize, CenterCrop, Pad,
                         RandomCrop, RandomResizedCrop, RandomHorizontalFlip, RandomVerticalFlip, RandomRotation,
                         RandomAffine, ColorJitter, Grayscale, RandomGrayscale, RandomErasing, Lambda, RandomApply,
                         RandomChoice, RandomOrder, Lighting, LinearTransformation, IMAGENET_PCA)
from .whitening import compute_mean_std, channel_covariance, PCAWhitening, ZCAWhitening

__all__ = ["functional", "InterpolationMode", "Transform", "Compose", "ToTensor", "ConvertImageDtype", "Normalize",
           "Resize", "CenterCrop", "Pad", "RandomCrop", "RandomResizedCrop", "RandomHorizontalFlip",
           "RandomVerticalFlip", "RandomRotation", "RandomAffine", "ColorJitter", "Grayscale", "RandomGrayscale",
           "RandomErasing", "Lambda", "RandomApply", "RandomChoice", "RandomOrder", "Lighting",
           "LinearTransformation", "IMAGENET_PCA", "compute_mean_std", "channel_covariance", "PCAWhitening",
           "ZCAWhitening"]
