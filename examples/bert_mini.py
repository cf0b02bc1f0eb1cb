"""BERT-mini pre-training by hand, d2l style: MLM + NSP on the speeches of the embedded Shakespeare.

    python examples/bert_mini.py            # about 2 minutes on 2 cores

The full run (pre-training, then fine-tuning against a from-scratch baseline, curves and checkpoint) is
``ember train bert-mini``; this script shows the pieces it is made of.
"""
import time

import ember as torch
from ember.datasets.corpora import Shakespeare
from ember.models.bert import BERTModel, bert_pretrain_loss
from ember.recipes.bert import BERTPretrainDataset, split_speeches, train_tokenizer
from ember.utils.data import DataLoader

torch.manual_seed(0)
batch_size, max_len, minutes = 64, 64, 2.0

# Paragraphs are speeches, sentences end at . ! ?, tokens are BPE subwords (d2l's _WikiTextDataset on Shakespeare).
text = Shakespeare(train=True).text
tokenize, bpe = train_tokenizer(text, vocab_size=2000)
paragraphs = [[tokenize(s) for s in speech] for speech in split_speeches(text) if len(speech) >= 2]
train_set = BERTPretrainDataset(paragraphs, max_len, vocab=bpe.vocab, seed=0)
train_iter = DataLoader(train_set, batch_size=batch_size, shuffle=True)
print(f"{len(train_set)} sentence pairs, vocabulary of {len(bpe.vocab)} BPE tokens")

net = BERTModel(len(bpe.vocab), num_hiddens=128, ffn_num_hiddens=256, num_heads=2, num_blks=2, dropout=0.1,
                max_len=max_len)
trainer = torch.optim.Adam(net.parameters(), lr=1e-3)

start, step = time.perf_counter(), 0
while time.perf_counter() - start < minutes * 60:
    for tokens, segments, valid_lens, pred_positions, mlm_weights, mlm_Y, nsp_y in train_iter:
        _, mlm_Y_hat, nsp_Y_hat = net(tokens, segments, valid_lens, pred_positions)
        loss, mlm_l, nsp_l = bert_pretrain_loss(mlm_Y_hat, nsp_Y_hat, mlm_Y, mlm_weights, nsp_y)
        trainer.zero_grad()
        loss.backward()
        trainer.step()
        step += 1
        if step % 10 == 0:
            mlm_acc = float(((mlm_Y_hat.argmax(-1) == mlm_Y) * mlm_weights).sum() / mlm_weights.sum())
            nsp_acc = float((nsp_Y_hat.argmax(-1) == nsp_y).float().mean())
            print(f"step {step}: MLM loss {float(mlm_l):.3f} (accuracy {mlm_acc:.3f}), "
                  f"NSP loss {float(nsp_l):.3f} (accuracy {nsp_acc:.3f}), {time.perf_counter() - start:.0f} s")
        if time.perf_counter() - start >= minutes * 60:
            break
    train_set.resample(step)          # new masks and NSP negatives for the next epoch (dynamic masking)

# The BERT representation of a sentence pair: one vector per token, <cls> first.
net.eval()
a, b = tokenize("To be, or not to be: that is the question."), tokenize("Whether 'tis nobler in the mind to suffer.")
tokens = ["<cls>"] + a + ["<sep>"] + b + ["<sep>"]
segments = [0] * (len(a) + 2) + [1] * (len(b) + 1)
with torch.no_grad():
    encoded, _, nsp = net(torch.tensor([bpe.vocab[tokens]]), torch.tensor([segments]))
print(f"encoded pair: {tuple(encoded.shape)}; P(is next) = {float(nsp.softmax(-1)[0, 1]):.3f}")
