"""A character-level language model on Shakespeare, written twice, the d2l way (chapters 9.5 and 9.6 / 10.1).

1. From scratch: the parameters of a vanilla RNN as plain tensors, an ``rnn()`` function that runs the time steps,
   gradient clipping by hand, truncated backpropagation through time with the hidden state detached between
   minibatches, and greedy prediction.
2. The same training loop with ``nn.LSTM`` inside ``ember.models.RNNModel``, sampled with
   ``ember.models.decoding.sample`` (temperature and top-k).

    python examples/char_lm.py                 # about two minutes on 2 CPU cores
    python examples/char_lm.py --steps 1500    # longer: lower perplexity

``ember train lstm-lm`` is the full recipe (bigger model, 10 minutes, checkpoint, curves).
"""
import argparse
import math
import time

import ember
from ember import nn
import ember.nn.functional as F
from ember.models.decoding import sample
from ember.models.rnn_lm import RNNModel, detach_state
from ember.text import load_data_lm


# ---------------------------------------------------------------------------------------------- 1. from scratch
def get_params(vocab_size, num_hiddens):
    def normal(*shape):
        return (ember.randn(*shape) * 0.01).requires_grad_()
    W_xh, W_hh, b_h = normal(vocab_size, num_hiddens), normal(num_hiddens, num_hiddens), ember.zeros(num_hiddens)
    W_hq, b_q = normal(num_hiddens, vocab_size), ember.zeros(vocab_size)
    return [W_xh, W_hh, b_h.requires_grad_(), W_hq, b_q.requires_grad_()]


def init_rnn_state(batch_size, num_hiddens):
    return (ember.zeros(batch_size, num_hiddens),)


def rnn(inputs, state, params):
    """inputs: (num_steps, batch, vocab) one-hot. H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h); O_t = H_t W_hq + b_q."""
    W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        H = ember.tanh(X @ W_xh + H @ W_hh + b_h)
        outputs.append(H @ W_hq + b_q)
    return ember.cat(outputs, dim=0), (H,)


class RNNModelScratch:
    """d2l's ``RNNModelScratch``: ``model(X (B, T), state) -> (logits (T * B, V), state)``."""

    def __init__(self, vocab_size, num_hiddens):
        self.vocab_size, self.num_hiddens = vocab_size, num_hiddens
        self.params = get_params(vocab_size, num_hiddens)

    def __call__(self, X, state):
        X = F.one_hot(X.T, self.vocab_size).float()
        return rnn(X, state, self.params)

    def begin_state(self, batch_size):
        return init_rnn_state(batch_size, self.num_hiddens)


def grad_clipping(params, theta):
    """Rescale the gradients so that their joint L2 norm is at most ``theta``."""
    norm = math.sqrt(sum(float((p.grad ** 2).sum()) for p in params))
    if norm > theta:
        for p in params:
            p.grad.mul_(theta / norm)


def predict_scratch(prefix, num_preds, model, vocab):
    """Warm the state up on ``prefix``, then append the most likely next character ``num_preds`` times."""
    state = model.begin_state(batch_size=1)
    outputs = [vocab[prefix[0]]]
    with ember.no_grad():
        for y in prefix[1:]:
            _, state = model(ember.tensor([[outputs[-1]]]), state)
            outputs.append(vocab[y])
        for _ in range(num_preds):
            y, state = model(ember.tensor([[outputs[-1]]]), state)
            outputs.append(int(y.argmax(dim=1).item()))
    return "".join(vocab.to_tokens(outputs))


def train_scratch(train_iter, vocab, steps, lr=1.0, num_hiddens=256):
    model = RNNModelScratch(len(vocab), num_hiddens)
    state, total, count, t0 = None, 0.0, 0, time.time()
    for step, (X, Y) in enumerate(_forever(train_iter), 1):
        if state is None:
            state = model.begin_state(X.shape[0])
        state = tuple(s.detach() for s in state)          # truncated BPTT: keep the values, cut the graph
        y_hat, state = model(X, state)
        loss = F.cross_entropy(y_hat, Y.T.reshape(-1))
        for p in model.params:
            p.grad = None
        loss.backward()
        grad_clipping(model.params, 1.0)
        with ember.no_grad():
            for p in model.params:                        # plain SGD
                p -= lr * p.grad
        total, count = total + float(loss) * Y.numel(), count + Y.numel()
        if step % 100 == 0 or step == steps:
            print(f"  scratch RNN step {step}: train perplexity {math.exp(total / count):.2f} "
                  f"({count / (time.time() - t0):.0f} chars/s)")
            total, count = 0.0, 0
        if step == steps:
            return model


def _forever(loader):
    while True:
        yield from loader


# ---------------------------------------------------------------------------------------------- 2. with nn.LSTM
def train_concise(train_iter, val_iter, vocab, steps, lr=2e-3, num_hiddens=256):
    model = RNNModel(nn.LSTM(64, num_hiddens, num_layers=2), len(vocab), embed_size=64)
    optimizer = ember.optim.Adam(model.parameters(), lr=lr)
    state, t0 = None, time.time()
    for step, (X, Y) in enumerate(_forever(train_iter), 1):
        logits, state = model(X, detach_state(state))
        loss = F.cross_entropy(logits.reshape(-1, len(vocab)), Y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % 100 == 0 or step == steps:
            print(f"  LSTM step {step}: validation perplexity {evaluate(model, val_iter):.2f} "
                  f"({step * Y.numel() / (time.time() - t0):.0f} chars/s)")
        if step == steps:
            return model


def evaluate(model, val_iter, max_batches=20):
    model.eval()
    total, count, state = 0.0, 0, None
    with ember.no_grad():
        for i, (X, Y) in enumerate(val_iter):
            if i == max_batches:
                break
            logits, state = model(X, state)
            total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1))) * Y.numel()
            count += Y.numel()
    model.train()
    return math.exp(total / count)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=300, help="minibatches for each of the two models")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--num-steps", type=int, default=64, help="characters per sequence (BPTT length)")
    args = p.parse_args()
    ember.manual_seed(0)
    train_iter, val_iter, vocab = load_data_lm(args.batch_size, args.num_steps)
    print(f"Shakespeare: {train_iter.num_tokens:,} training characters, vocabulary of {len(vocab)}")

    print("1. vanilla RNN from scratch (one-hot inputs, SGD, hand-written clipping)")
    scratch = train_scratch(train_iter, vocab, args.steps)
    print("  greedy:", repr(predict_scratch("ROMEO:", 60, scratch, vocab)))

    print("2. nn.LSTM, 2 layers, Adam")
    model = train_concise(train_iter, val_iter, vocab, args.steps)
    ids = sample(model, vocab[list("ROMEO:")], 200, temperature=0.8, top_k=10)
    print("  sampled (temperature 0.8, top-k 10):")
    print("".join(vocab.to_tokens(ids)))


if __name__ == "__main__":
    main()
