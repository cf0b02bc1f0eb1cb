"""Fine-tuning: load a LeNet trained on MNIST5k, give it a new head, and adapt it to scikit-learn's 8x8 Digits.

    ember train --out runs/lenet                              # or: python examples/train_lenet.py
    python examples/finetune.py runs/lenet/checkpoint.safetensors

Two standard ways, side by side: (1) freeze the backbone and train only the new head; (2) train everything,
the backbone with a 10x smaller learning rate than the head (two optimiser parameter groups). Without a
checkpoint argument the script first pre-trains LeNet on MNIST5k for a few epochs itself.
"""
import sys

import ember
import ember.nn as nn
import ember.transforms as T
from ember.datasets import Digits, MNIST5k
from ember.models import get_model
from ember.training import Trainer
from ember.utils.data import DataLoader

EPOCHS = 8


def lenet():
    return get_model("lenet", activation="relu", pool="max", batch_norm=True)


def pretrained(path):
    model = lenet()
    if path is None:           # no checkpoint given: a short pre-training run on MNIST5k
        tf = T.Compose([T.ToTensor(), T.Normalize((0.13,), (0.31,))])
        loader = DataLoader(MNIST5k(train=True, transform=tf), batch_size=64, shuffle=True)
        opt = ember.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        Trainer(model, opt, nn.CrossEntropyLoss()).fit(loader, epochs=3)
    else:
        ckpt = ember.load(path)            # written by `ember train` or Trainer.save_checkpoint
        model.load_state_dict(ckpt["model"])
    return model


def digits_loaders():
    # 8x8 Digits images resized to LeNet's 28x28 input, normalised with the Digits training set's statistics
    pixels = Digits(train=True).data / 255.0
    tf = T.Compose([T.Resize(28), T.ToTensor(), T.Normalize((pixels.mean(),), (pixels.std(),))])
    train = DataLoader(Digits(train=True, transform=tf), batch_size=32, shuffle=True)
    test = DataLoader(Digits(train=False, transform=tf), batch_size=256)
    return train, test


def new_head(model, num_classes=10):
    model[-1] = nn.Linear(model[-1].in_features, num_classes)     # the last Linear of the Sequential
    return model


def main(path=None):
    ember.manual_seed(0)
    train, test = digits_loaders()
    base = pretrained(path)
    state = base.state_dict()

    # (1) frozen backbone: only the new head learns. (The batch-norm running statistics still follow the new
    # images in train mode, which helps with the change of domain; the backbone's weights stay fixed.)
    model = lenet()
    model.load_state_dict(state)
    model = new_head(model)
    head = list(model[-1].parameters())
    for p in model.parameters():
        if all(p is not h for h in head):
            p.requires_grad_(False)
    opt = ember.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.05, momentum=0.9)
    frozen = Trainer(model, opt, nn.CrossEntropyLoss(), progress=False)
    frozen.fit(train, epochs=EPOCHS)
    acc_frozen = frozen.evaluate(test)["accuracy"]

    # (2) everything trains; the backbone with a 10x smaller learning rate (parameter groups)
    model = lenet()
    model.load_state_dict(state)
    model = new_head(model)
    head = list(model[-1].parameters())
    backbone = [p for p in model.parameters() if all(p is not h for h in head)]
    opt = ember.optim.SGD([{"params": backbone, "lr": 0.005}, {"params": head}], lr=0.05, momentum=0.9)
    full = Trainer(model, opt, nn.CrossEntropyLoss(), progress=False)
    full.fit(train, epochs=EPOCHS)
    acc_full = full.evaluate(test)["accuracy"]

    print(f"Digits test accuracy after {EPOCHS} epochs: frozen backbone {acc_frozen:.4f}, "
          f"backbone at lr/10 {acc_full:.4f}")
    return acc_frozen, acc_full


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
