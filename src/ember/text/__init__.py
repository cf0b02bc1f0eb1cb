"""``ember.text``: tokenizers, vocabularies, language-model and translation minibatches, masks and BLEU.

    from ember.text import Vocab, tokenize, load_data_lm, load_data_nmt
    train_iter, val_iter, vocab = load_data_lm(batch_size=32, num_steps=64)   # Shakespeare characters
    train_iter, test_pairs, src_vocab, tgt_vocab = load_data_nmt(64, 24)       # Bible EN -> FR pairs

d2l's names and semantics throughout (``Vocab``, ``seq_data_iter_random``/``_sequential``, ``truncate_pad``,
``build_array_nmt``, ``sequence_mask``, ``bleu``); randomness comes from ember's global RNG.
"""
from .bpe import BPETokenizer
from .iterators import SeqDataLoader, load_corpus, load_data_lm, seq_data_iter_random, seq_data_iter_sequential
from .masks import padding_mask, sequence_mask, valid_lengths
from .metrics import bleu, corpus_bleu, perplexity
from .nmt import RESERVED_TOKENS, build_array_nmt, load_data_nmt, load_pairs, truncate_pad
from .tokenizers import (CharTokenizer, WordTokenizer, preprocess_nmt, preprocess_time_machine, tokenize,
                         tokenize_nmt)
from .vocab import Vocab, count_corpus

__all__ = ["BPETokenizer", "CharTokenizer", "WordTokenizer", "Vocab", "count_corpus", "tokenize",
           "tokenize_nmt", "preprocess_nmt", "preprocess_time_machine",
           "seq_data_iter_random", "seq_data_iter_sequential", "SeqDataLoader", "load_corpus", "load_data_lm",
           "truncate_pad", "build_array_nmt", "load_data_nmt", "load_pairs", "RESERVED_TOKENS",
           "sequence_mask", "padding_mask", "valid_lengths", "bleu", "corpus_bleu", "perplexity"]
