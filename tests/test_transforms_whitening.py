"""Fitted normalisers: per-channel mean/std, PCA and ZCA whitening (whitened training data has identity
covariance), LinearTransformation."""
import numpy as np
import pytest
import torch

import ember
import ember.transforms as T
from ember.utils.data import Dataset

RS = np.random.RandomState(0)


def test_compute_mean_std_of_uint8_images_matches_numpy():
    data = RS.randint(0, 256, (50, 6, 5, 3)).astype(np.uint8)          # a dataset's .data: N×H×W×C
    mean, std = T.compute_mean_std(data)
    x = data.astype(np.float64) / 255
    np.testing.assert_allclose(mean, x.mean(axis=(0, 1, 2)), rtol=1e-12)
    np.testing.assert_allclose(std, x.std(axis=(0, 1, 2)), rtol=1e-10)
    _, std1 = T.compute_mean_std(data, ddof=1)
    np.testing.assert_allclose(std1, x.reshape(-1, 3).std(axis=0, ddof=1), rtol=1e-10)
    gray_mean, gray_std = T.compute_mean_std(data[..., 0])               # N×H×W: one channel
    assert len(gray_mean) == 1 and abs(gray_mean[0] - x[..., 0].mean()) < 1e-12


def test_compute_mean_std_of_tensors_matches_torch():
    x = RS.rand(20, 3, 4, 4).astype(np.float32)
    mean, std = T.compute_mean_std(ember.from_numpy(x))
    t = torch.from_numpy(x).double()
    np.testing.assert_allclose(mean, t.mean(dim=(0, 2, 3)).numpy(), rtol=1e-10)
    np.testing.assert_allclose(std, t.std(dim=(0, 2, 3), unbiased=False).numpy(), rtol=1e-8)


class _Images(Dataset):
    def __init__(self, data, transform=None):
        self.data, self.transform = data, transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        img = self.data[i]
        return (img if self.transform is None else self.transform(img)), 0


def test_mean_std_from_a_dataset_and_normalize_from_dataset():
    data = RS.randint(0, 256, (30, 8, 8)).astype(np.uint8)
    direct = T.compute_mean_std(data)
    via_data = T.compute_mean_std(_Images(data))                                   # reads .data
    via_items = T.compute_mean_std(_Images(data, transform=T.ToTensor()))          # iterates ds[i]
    np.testing.assert_allclose(via_data, direct, rtol=1e-12)
    np.testing.assert_allclose(via_items, direct, rtol=1e-6)
    norm = T.Normalize.from_dataset(_Images(data))
    out = np.stack([norm(T.ToTensor()(img)).numpy() for img in data])
    np.testing.assert_allclose(out.mean(), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.std(), 1.0, atol=1e-5)
    with pytest.raises(TypeError, match="compute_mean_std: expected a dataset, a NumPy array or a Tensor"):
        T.compute_mean_std(3)


def _correlated(n, d, seed=1):
    rs = np.random.RandomState(seed)
    return rs.randn(n, d) @ rs.randn(d, d) + rs.randn(d)


def test_zca_whitened_training_data_has_identity_covariance():
    X = _correlated(500, 6)
    zca = T.ZCAWhitening(epsilon=0.0).fit(X)
    Y = zca(X)
    np.testing.assert_allclose(np.cov(Y.T), np.eye(6), atol=1e-8)
    np.testing.assert_allclose(Y.mean(0), 0.0, atol=1e-10)
    np.testing.assert_allclose(zca.matrix_, zca.matrix_.T, atol=1e-12)             # ZCA's matrix is symmetric
    # epsilon shrinks each direction: covariance U diag(S / (S + eps)) U^T
    eps = 0.5
    zca_eps = T.ZCAWhitening(epsilon=eps).fit(X)
    S, U = zca_eps.explained_variance_, zca_eps.components_
    np.testing.assert_allclose(np.cov(zca_eps(X).T), U @ np.diag(S / (S + eps)) @ U.T, atol=1e-8)


def test_pca_whitening_identity_covariance_and_components():
    X = _correlated(400, 5)
    pca = T.PCAWhitening(epsilon=0.0).fit(X)
    np.testing.assert_allclose(np.cov(pca(X).T), np.eye(5), atol=1e-8)
    top2 = T.PCAWhitening(n_components=2, epsilon=0.0).fit(X)
    Y = top2(X)
    assert Y.shape == (400, 2)
    np.testing.assert_allclose(np.cov(Y.T), np.eye(2), atol=1e-8)
    # the first component is the direction of largest variance
    evals = np.linalg.eigvalsh(np.cov(X.T))
    np.testing.assert_allclose(top2.explained_variance_, evals[::-1][:2], rtol=1e-10)


def test_whitening_on_images_keeps_the_image_shape():
    data = RS.randint(0, 256, (200, 3, 3, 2)).astype(np.uint8)     # N×H×W×C, D = 18
    zca = T.ZCAWhitening(epsilon=0.0).fit(data)
    assert zca.sample_shape == (2, 3, 3)
    img = T.ToTensor()(data[0])
    out = zca(img)
    assert isinstance(out, ember.Tensor) and tuple(out.shape) == (2, 3, 3) and out.dtype == ember.float32
    batch = ember.from_numpy(np.stack([T.ToTensor()(d).numpy() for d in data]))
    Y = zca(batch).numpy().reshape(200, -1)
    np.testing.assert_allclose(np.cov(Y.T), np.eye(18), atol=1e-4)
    pca = T.PCAWhitening(n_components=4).fit(data)
    assert tuple(pca(img).shape) == (4,)
    with pytest.raises(ValueError, match="expected samples of shape \\(2, 3, 3\\) \\(or 18 values\\)"):
        zca(ember.zeros(3, 3, 3))
    with pytest.raises(RuntimeError, match="call fit\\(data\\) before transforming"):
        T.ZCAWhitening()(img)
    with pytest.raises(ValueError, match="need at least 2 samples"):
        T.ZCAWhitening().fit(np.zeros((1, 4)))


def test_linear_transformation_matches_torchvision_formula():
    d = 2 * 2 * 2
    M = RS.randn(d, d).astype(np.float32)
    mu = RS.randn(d).astype(np.float32)
    x = RS.rand(2, 2, 2).astype(np.float32)
    out = T.LinearTransformation(M, mu)(ember.from_numpy(x)).numpy()
    ref = ((torch.from_numpy(x).view(1, -1) - torch.from_numpy(mu)) @ torch.from_numpy(M)).view(2, 2, 2).numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="transformation_matrix should be square"):
        T.LinearTransformation(np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="incompatible shape"):
        T.LinearTransformation(M, mu)(ember.zeros(1, 2, 2))
