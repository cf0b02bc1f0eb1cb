"""The main job until the training issue lands: fit a linear regression by gradient descent with ember autograd.

Synthetic data y = X w + b + noise (d2l's first example); prints the learned weights next to the true ones.
"""
import ember as torch

torch.manual_seed(0)
true_w = torch.tensor([2.0, -3.4])
true_b = 4.2
X = torch.randn(1000, 2)
y = X @ true_w + true_b + 0.01 * torch.randn(1000)

w = torch.zeros(2, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr, batch = 0.03, 10
for epoch in range(3):
    perm = torch.randperm(1000)
    for i in range(0, 1000, batch):
        idx = perm[i:i + batch]
        loss = ((X[idx] @ w + b - y[idx]) ** 2 / 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
    with torch.no_grad():
        print(f"epoch {epoch + 1}, loss {float(((X @ w + b - y) ** 2 / 2).mean()):f}")
print(f"learned w = {w.detach().tolist()}, true w = {true_w.tolist()}")
print(f"learned b = {b.item():.4f}, true b = {true_b}")
