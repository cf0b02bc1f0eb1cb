"""The main job in plain Python: LeNet on the embedded MNIST5k with augmentation, >= 97% test accuracy.

    python examples/train_lenet.py            # the same recipe `ember train` runs, spelled out

Everything here is ordinary PyTorch code with `ember` in place of `torch` (and ember's Trainer in place of the
hand-written loop; d2l's `train_ch6` does the same steps).
"""
import ember
import ember.nn as nn
import ember.transforms as T
from ember.datasets import MNIST5k
from ember.models import get_model
from ember.training import Trainer, write_run
from ember.utils.data import DataLoader

EPOCHS, BATCH_SIZE, LR = 20, 64, 0.1
ember.manual_seed(0)

# Normalise with the training set's own mean and std; augment with small rotations, shifts and zooms.
pixels = MNIST5k(train=True).data / 255.0
normalize = T.Normalize((pixels.mean(),), (pixels.std(),))
train_tf = T.Compose([T.RandomAffine(degrees=10, translate=(0.08, 0.08), scale=(0.95, 1.05)), T.ToTensor(), normalize])
test_tf = T.Compose([T.ToTensor(), normalize])
train_loader = DataLoader(MNIST5k(train=True, transform=train_tf), batch_size=BATCH_SIZE, shuffle=True)
test_loader = DataLoader(MNIST5k(train=False, transform=test_tf), batch_size=256)

# d2l's LeNet with the modern touches: ReLU, max-pooling, batch norm.
model = get_model("lenet", activation="relu", pool="max", batch_norm=True)
print(ember.summary(model, (1, 28, 28)))
optimizer = ember.optim.SGD(model.parameters(), lr=LR, momentum=0.9, nesterov=True, weight_decay=5e-4)
scheduler = ember.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LR, epochs=EPOCHS,
                                                steps_per_epoch=len(train_loader), pct_start=0.25)

trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(), scheduler=scheduler, metrics=("accuracy",))
history = trainer.fit(train_loader, test_loader, epochs=EPOCHS)
test = trainer.evaluate(test_loader)
print(f"test accuracy {test['accuracy']:.4f}")
trainer.save_checkpoint("lenet_mnist5k.safetensors")
write_run("runs/lenet-example", history, {"test_accuracy": test["accuracy"], "epochs": EPOCHS})
