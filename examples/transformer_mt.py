"""English -> French translation with a Transformer, twice: written from scratch the d2l way (chapter 11.7) out of
``MultiHeadAttention``, ``PositionWiseFFN``, ``AddNorm`` and ``PositionalEncoding``, then with ember's
``nn.Transformer`` layers (``ember.models.TransformerMT``, what ``ember train transformer-mt`` uses).

    python examples/transformer_mt.py                    # ~2 minutes of training per model on 3,000 Bible pairs
    python examples/transformer_mt.py --minutes 5 --num-examples 10000

Both models follow the decoding contract of ``ember.models.decoding`` (``encode``, ``decode_step``), so the same
``greedy_decode`` / ``beam_search`` translate with either; both are scored with corpus BLEU on held-out pairs.
"""
import argparse
import math
import time

import ember
from ember import nn
from ember.models._transformer_blocks import AddNorm, MultiHeadAttention, PositionalEncoding, PositionWiseFFN
from ember.models.decoding import beam_search
from ember.models.transformer_mt import TransformerMT
from ember.recipes.seq2seq import bleu_scores, translate_batch
from ember.text import build_array_nmt, load_data_nmt


# ------------------------------------------------------------------------------------------- the encoder
class TransformerEncoderBlock(nn.Module):
    """Self-attention and a position-wise FFN, each followed by a residual connection and LayerNorm."""

    def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout):
        super().__init__()
        self.attention = MultiHeadAttention(num_hiddens, num_heads, dropout)
        self.addnorm1 = AddNorm(num_hiddens, dropout)
        self.ffn = PositionWiseFFN(ffn_num_hiddens, num_hiddens)
        self.addnorm2 = AddNorm(num_hiddens, dropout)

    def forward(self, X, valid_lens):
        Y = self.addnorm1(X, self.attention(X, X, X, valid_lens))   # padding keys are masked by valid_lens
        return self.addnorm2(Y, self.ffn(Y))


class TransformerEncoder(nn.Module):
    def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout):
        super().__init__()
        self.num_hiddens = num_hiddens
        self.embedding = nn.Embedding(vocab_size, num_hiddens)
        self.pos_encoding = PositionalEncoding(num_hiddens, dropout)
        self.blks = nn.Sequential(*[TransformerEncoderBlock(num_hiddens, ffn_num_hiddens, num_heads, dropout)
                                    for _ in range(num_blks)])

    def forward(self, X, valid_lens):
        # the embedding is scaled up so that it is not drowned by the positional encoding (values in [-1, 1])
        X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens))
        for blk in self.blks:
            X = blk(X, valid_lens)
        return X


# ------------------------------------------------------------------------------------------- the decoder
class TransformerDecoderBlock(nn.Module):
    """Causal self-attention, attention over the encoder outputs, FFN; each with residual + LayerNorm.

    The state keeps, per block, every input the block has seen so far (d2l's ``state[2][i]``): at prediction
    time a new token attends to all the earlier ones without recomputing them. Unlike d2l, the state is never
    changed in place (beam search expands one state several times) and causality comes from ``valid_lens``
    in training and prediction alike."""

    def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout, i):
        super().__init__()
        self.i = i
        self.attention1 = MultiHeadAttention(num_hiddens, num_heads, dropout)
        self.addnorm1 = AddNorm(num_hiddens, dropout)
        self.attention2 = MultiHeadAttention(num_hiddens, num_heads, dropout)
        self.addnorm2 = AddNorm(num_hiddens, dropout)
        self.ffn = PositionWiseFFN(ffn_num_hiddens, num_hiddens)
        self.addnorm3 = AddNorm(num_hiddens, dropout)

    def forward(self, X, state):
        enc_outputs, enc_valid_lens, cache = state
        seen = 0 if cache[self.i] is None else cache[self.i].shape[1]
        key_values = X if cache[self.i] is None else ember.cat([cache[self.i], X], dim=1)
        cache = cache[:self.i] + (key_values,) + cache[self.i + 1:]
        batch_size, num_steps, _ = X.shape
        # query t (the (seen + t)-th token) may look at keys 0 .. seen + t: a causal mask as valid lengths
        dec_valid_lens = ember.arange(seen + 1, seen + num_steps + 1, device=X.device).repeat(batch_size, 1)
        Y = self.addnorm1(X, self.attention1(X, key_values, key_values, dec_valid_lens))
        Z = self.addnorm2(Y, self.attention2(Y, enc_outputs, enc_outputs, enc_valid_lens))
        return self.addnorm3(Z, self.ffn(Z)), (enc_outputs, enc_valid_lens, cache)


class TransformerDecoder(nn.Module):
    def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout):
        super().__init__()
        self.num_hiddens, self.num_blks = num_hiddens, num_blks
        self.embedding = nn.Embedding(vocab_size, num_hiddens)
        self.pos_encoding = PositionalEncoding(num_hiddens, dropout)
        self.blks = nn.Sequential(*[TransformerDecoderBlock(num_hiddens, ffn_num_hiddens, num_heads, dropout, i)
                                    for i in range(num_blks)])
        self.dense = nn.Linear(num_hiddens, vocab_size)

    def init_state(self, enc_outputs, enc_valid_lens):
        return enc_outputs, enc_valid_lens, (None,) * self.num_blks

    def forward(self, X, state):
        cache = state[2][0]
        offset = 0 if cache is None else cache.shape[1]          # the position of X's first token
        X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens), offset=offset)
        for blk in self.blks:
            X, state = blk(X, state)
        return self.dense(X), state


class Transformer(nn.Module):
    """d2l's ``EncoderDecoder`` with the decoding contract: ``forward(src, tgt_in, src_valid_len)`` for teacher
    forcing, ``encode`` + ``decode_step`` for prediction."""

    def __init__(self, src_vocab_size, tgt_vocab_size, num_hiddens=128, ffn_num_hiddens=256, num_heads=4,
                 num_blks=2, dropout=0.1):
        super().__init__()
        self.encoder = TransformerEncoder(src_vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout)
        self.decoder = TransformerDecoder(tgt_vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout)

    def encode(self, src, src_valid_len=None):
        return self.decoder.init_state(self.encoder(src, src_valid_len), src_valid_len)

    def decode_step(self, tokens, state):
        return self.decoder(tokens, state)

    def forward(self, src, tgt, src_valid_len=None):
        return self.decoder(tgt, self.encode(src, src_valid_len))[0]


# ------------------------------------------------------------------------------------------- training
def train(model, data_iter, tgt_vocab, lr, minutes, label_smoothing=0.1, warmup=200):
    """Teacher forcing, label-smoothed cross-entropy over real tokens, Adam with linear warm-up, clipping."""
    optimizer = ember.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-9)
    scheduler = ember.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / warmup))
    loss_fn = nn.CrossEntropyLoss(ignore_index=tgt_vocab["<pad>"], label_smoothing=label_smoothing)
    model.train()
    start, epoch = time.perf_counter(), 0
    while time.perf_counter() - start < minutes * 60:
        epoch += 1
        total, tokens = 0.0, 0
        for X, X_valid_len, Y, Y_valid_len in data_iter:
            bos = ember.full((Y.shape[0], 1), tgt_vocab["<bos>"], dtype=Y.dtype)
            dec_input = ember.cat([bos, Y[:, :-1]], dim=1)                 # teacher forcing
            logits = model(X, dec_input, X_valid_len)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            n = int(Y_valid_len.sum())
            total, tokens = total + loss.item() * n, tokens + n
            if time.perf_counter() - start >= minutes * 60:
                break
        print(f"  epoch {epoch}: loss {total / tokens:.3f}, {time.perf_counter() - start:.0f} s", flush=True)


def report(name, model, test_pairs, src_vocab, tgt_vocab, num_steps):
    model.eval()
    sources, references = [s for s, _ in test_pairs], [t for _, t in test_pairs]
    hypotheses = translate_batch(model, sources, src_vocab, tgt_vocab, num_steps)
    bleu, copy = bleu_scores(hypotheses, references)["bleu"], bleu_scores(sources, references)["bleu"]
    print(f"{name}: corpus BLEU {100 * bleu:.1f} on {len(test_pairs)} held-out pairs "
          f"(copying the source: {100 * copy:.1f})")
    for src, ref, hyp in list(zip(sources, references, hypotheses))[:3]:
        print(f"  {src}\n    => {hyp}\n    (reference: {ref})")
    X, X_valid_len = build_array_nmt([sources[0].split()], src_vocab, num_steps)
    beam = beam_search(model, X, X_valid_len, tgt_vocab["<bos>"], tgt_vocab["<eos>"], num_steps + 10, beam_size=4)
    print(f"  beam search (4): {' '.join(tgt_vocab.to_tokens(beam))}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--num-examples", type=int, default=3000)
    p.add_argument("--minutes", type=float, default=2.0, help="training time per model")
    p.add_argument("--num-test", type=int, default=100)
    args = p.parse_args()
    ember.manual_seed(0)
    num_steps = 30
    data_iter, test_pairs, src_vocab, tgt_vocab = load_data_nmt(64, num_steps, num_examples=args.num_examples)
    test_pairs = test_pairs[:args.num_test]
    print(f"{args.num_examples} training pairs; vocabularies: {len(src_vocab)} English, {len(tgt_vocab)} French")

    print("1. The Transformer from scratch (d2l's blocks)")
    scratch = Transformer(len(src_vocab), len(tgt_vocab), num_hiddens=128, ffn_num_hiddens=256, num_heads=4,
                          num_blks=2, dropout=0.1)
    train(scratch, data_iter, tgt_vocab, lr=1e-3, minutes=args.minutes)
    report("from scratch", scratch, test_pairs, src_vocab, tgt_vocab, num_steps)

    print("2. The same architecture on ember's nn.TransformerEncoder/Decoder layers")
    model = TransformerMT(len(src_vocab), len(tgt_vocab), d_model=128, nhead=4, num_encoder_layers=2,
                          num_decoder_layers=2, dim_feedforward=256, dropout=0.1, padding_idx=tgt_vocab["<pad>"],
                          norm_first=False)
    train(model, data_iter, tgt_vocab, lr=1e-3, minutes=args.minutes)
    report("nn.Transformer", model, test_pairs, src_vocab, tgt_vocab, num_steps)


if __name__ == "__main__":
    main()
