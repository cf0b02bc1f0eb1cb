"""English -> French translation with a GRU encoder–decoder and Bahdanau attention (d2l 10.7 and 11.4), on the
embedded King James / Louis Segond verse pairs.

    python examples/seq2seq.py                  # a few minutes on 2 CPU cores; --epochs for longer
    python examples/seq2seq.py --no-attention   # the plain encoder–decoder

It trains with teacher forcing and d2l's masked softmax cross-entropy, translates a few held-out verses greedily
and with beam search, scores them with BLEU next to the copy-the-source baseline, and saves the attention weights
of one translation as ``attention.png``. ``ember train seq2seq-attn`` is the full recipe.
"""
import argparse
import time

import ember
from ember import nn
from ember.models.decoding import beam_search, greedy_decode
from ember.models.seq2seq import (EncoderDecoder, MaskedSoftmaxCELoss, Seq2SeqAttentionDecoder, Seq2SeqDecoder,
                                  Seq2SeqEncoder, show_heatmaps)
from ember.text import bleu, build_array_nmt, corpus_bleu, load_data_nmt


def train(model, train_iter, tgt_vocab, epochs, lr):
    loss_fn = MaskedSoftmaxCELoss()
    optimizer = ember.optim.Adam(model.parameters(), lr=lr)
    bos = tgt_vocab["<bos>"]
    for epoch in range(1, epochs + 1):
        total, tokens, t0 = 0.0, 0, time.time()
        for X, X_valid_len, Y, Y_valid_len in train_iter:
            dec_input = ember.cat([ember.full((Y.shape[0], 1), bos, dtype=Y.dtype), Y[:, :-1]], dim=1)
            Y_hat = model(X, dec_input, X_valid_len)          # teacher forcing: the decoder reads the reference
            loss = loss_fn(Y_hat, Y, Y_valid_len)             # (B,): masked mean over the steps
            optimizer.zero_grad()
            loss.sum().backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            total += float(loss.sum()) * Y.shape[1]
            tokens += int(Y_valid_len.sum())
        print(f"epoch {epoch}: loss {total / tokens:.3f} per token, {tokens / (time.time() - t0):.0f} tokens/s")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--num-examples", type=int, default=4000, help="training pairs to use (of 10,749)")
    p.add_argument("--no-attention", action="store_true")
    p.add_argument("--out", default="attention.png")
    args = p.parse_args()
    ember.manual_seed(0)
    num_steps = 30
    train_iter, test_pairs, src_vocab, tgt_vocab = load_data_nmt(64, num_steps, num_examples=args.num_examples)
    print(f"{len(train_iter.dataset)} training pairs, vocabularies {len(src_vocab)} (en) / {len(tgt_vocab)} (fr)")

    encoder = Seq2SeqEncoder(len(src_vocab), embed_size=128, num_hiddens=256, num_layers=2, dropout=0.2)
    decoder_cls = Seq2SeqDecoder if args.no_attention else Seq2SeqAttentionDecoder
    model = EncoderDecoder(encoder, decoder_cls(len(tgt_vocab), 128, 256, 2, dropout=0.2))
    train(model, train_iter, tgt_vocab, args.epochs, lr=2e-3)

    sources, references = [s for s, _ in test_pairs], [t for _, t in test_pairs]
    X, X_valid_len = build_array_nmt([s.split() for s in sources], src_vocab, num_steps)
    bos, eos = tgt_vocab["<bos>"], tgt_vocab["<eos>"]
    hypotheses = [" ".join(tgt_vocab.to_tokens(ids))
                  for ids in greedy_decode(model, X, X_valid_len, bos, eos, max_len=num_steps + 10)]
    print(f"held-out corpus BLEU {corpus_bleu(hypotheses, references):.4f} "
          f"(copying the English source: {corpus_bleu(sources, references):.4f}); "
          f"d2l's mean BLEU (k=2) {sum(bleu(h, r, 2) for h, r in zip(hypotheses, references)) / len(references):.4f}")
    for i in range(3):
        beam = beam_search(model, X[i], X_valid_len[i:i + 1], bos, eos, max_len=num_steps + 10, beam_size=4)
        print(f"\n  en:     {sources[i]}\n  fr:     {references[i]}\n  greedy: {hypotheses[i]}"
              f"\n  beam 4: {' '.join(tgt_vocab.to_tokens(beam))}")

    if not args.no_attention:
        out, attention = greedy_decode(model, X[:1], X_valid_len[:1], bos, eos, num_steps + 10, return_attention=True)
        src_tokens = sources[0].split() + ["<eos>"]
        rows = ember.tensor([row[:len(src_tokens)].tolist() for row in attention[0]])
        show_heatmaps(rows, args.out, xlabel="English", ylabel="French", xticklabels=src_tokens,
                      yticklabels=(tgt_vocab.to_tokens(out[0]) + ["<eos>"])[:len(rows)], figsize=(7, 6))
        print(f"\nattention weights of the first translation: {args.out}")


if __name__ == "__main__":
    main()
