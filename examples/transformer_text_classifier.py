"""A small Transformer that classifies short texts, built from descend's attention layers.

The task is synthetic, so the example runs anywhere without downloads: each "review"
is a few filler words around one opinion word ("great", "awful"...), and the word
"not" just before the opinion word flips it ("the plot was not great" is negative).
A bag of words cannot solve that reliably: the model has to relate "not" to the word
after it, which is what self-attention with position embeddings does.

The pipeline is Keras's:

1. ``TextVectorization`` learns the vocabulary and turns each text into a padded
   sequence of token indices (0 = padding);
2. ``TokenAndPositionEmbedding`` (a custom layer: two weight tables made with
   ``add_weight`` and looked up with ``ops.take``) adds a learned vector per token and
   per position;
3. a Transformer encoder block: ``MultiHeadAttention`` (padding hidden by
   ``value_mask``), residual connections, ``LayerNormalization`` and a feed-forward
   pair of ``Dense`` layers, with ``Dropout``;
4. ``GlobalAveragePooling1D`` over the non-padding steps (``mask=``), then a sigmoid unit.

Run: ``python examples/transformer_text_classifier.py`` (``--quick`` for a short run,
``--epochs N``). It prints the test accuracy.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import descend
from descend import layers, ops
from descend.utils import set_random_seed

TARGET = 0.95
"""Test accuracy the full run reaches."""

FILLER = ("the movie plot acting was is and it a film story cast this really quite very "
          "so".split())
POSITIVE = "great good wonderful superb fine lovely".split()
NEGATIVE = "awful bad boring terrible dull poor".split()
MAX_LEN = 12


def make_texts(n: int, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    """``n`` synthetic reviews and their labels (1 = positive)."""
    texts, labels = [], np.zeros(n, dtype="float32")
    for i in range(n):
        positive = rng.random() < 0.5
        word = rng.choice(POSITIVE if positive else NEGATIVE)
        negated = rng.random() < 0.5
        before = list(rng.choice(FILLER, size=rng.integers(1, 5)))
        after = list(rng.choice(FILLER, size=rng.integers(0, 4)))
        words = before + (["not"] if negated else []) + [word] + after
        texts.append(" ".join(words).capitalize() + rng.choice([".", "!", ""]))
        labels[i] = float(positive != negated)
    return texts, labels


class TokenAndPositionEmbedding(layers.Layer):
    """``token_table[ids] + position_table[0..steps-1]``: ``(batch, steps, dim)``."""

    def __init__(self, maxlen: int, vocab_size: int, embed_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.maxlen, self.vocab_size, self.embed_dim = maxlen, vocab_size, embed_dim

    def build(self, input_shape):
        self.tokens = self.add_weight(shape=(self.vocab_size, self.embed_dim),
                                      initializer="random_uniform", name="tokens")
        self.positions = self.add_weight(shape=(self.maxlen, self.embed_dim),
                                         initializer="random_uniform", name="positions")

    def call(self, inputs):
        ids = ops.cast(inputs, "int32")
        steps = inputs.shape[-1]
        return ops.take(self.tokens, ids, axis=0) + self.positions[:steps]

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.embed_dim)

    def get_config(self):
        config = super().get_config()
        config.update(maxlen=self.maxlen, vocab_size=self.vocab_size, embed_dim=self.embed_dim)
        return config


class TransformerBlock(layers.Layer):
    """Self-attention and a feed-forward pair, each with a residual and a LayerNormalization."""

    def __init__(self, embed_dim: int, num_heads: int, ff_dim: int, rate: float = 0.1,
                 **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim // num_heads)
        self.ffn_1 = layers.Dense(ff_dim, activation="relu")
        self.ffn_2 = layers.Dense(embed_dim)
        self.norm_1 = layers.LayerNormalization(epsilon=1e-6)
        self.norm_2 = layers.LayerNormalization(epsilon=1e-6)
        self.drop_1 = layers.Dropout(rate)
        self.drop_2 = layers.Dropout(rate)

    def call(self, inputs, mask=None, training=False):
        attended = self.att(inputs, inputs, value_mask=mask, training=training)
        x = self.norm_1(inputs + self.drop_1(attended, training=training))
        ffn = self.ffn_2(self.ffn_1(x))
        return self.norm_2(x + self.drop_2(ffn, training=training))


class TextClassifier(descend.Model):
    """Token ids ``(batch, steps)`` -> probability that the review is positive."""

    def __init__(self, vocab_size: int, embed_dim: int = 32, num_heads: int = 2,
                 ff_dim: int = 32, **kwargs):
        super().__init__(**kwargs)
        self.embed = TokenAndPositionEmbedding(MAX_LEN, vocab_size, embed_dim)
        self.block = TransformerBlock(embed_dim, num_heads, ff_dim)
        self.pool = layers.GlobalAveragePooling1D()
        self.out = layers.Dense(1, activation="sigmoid")

    def call(self, inputs, training=False):
        mask = np.asarray(getattr(inputs, "data", inputs)) != 0  # padding is index 0
        x = self.block(self.embed(inputs), mask=mask, training=training)
        return self.out(self.pool(x, mask=mask))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="small data, for smoke tests")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Train and evaluate; returns ``{"accuracy": ..., "seconds": ...}``."""
    args = parse_args(argv)
    set_random_seed(0)
    rng = np.random.default_rng(0)
    n_train = 2000 if args.quick else 4000
    epochs = args.epochs or (5 if args.quick else 8)
    train_texts, y_train = make_texts(n_train, rng)
    test_texts, y_test = make_texts(1000, rng)

    vectorizer = layers.TextVectorization(max_tokens=100, output_sequence_length=MAX_LEN)
    vectorizer.adapt(train_texts)
    x_train = vectorizer(train_texts).data.astype("float32")
    x_test = vectorizer(test_texts).data.astype("float32")

    model = TextClassifier(vocab_size=vectorizer.vocabulary_size())
    model.compile(optimizer=descend.optimizers.Adam(2e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(x_test, y_test, batch_size=250, verbose=0)
    print(f"Vocabulary: {vectorizer.vocabulary_size()} tokens, e.g. "
          f"{vectorizer.get_vocabulary()[:6]}")
    print(f"Test accuracy after {epochs} epochs: {accuracy:.4f} ({seconds:.1f} s of training)")
    sample = ["The acting was not good", "It was not awful at all", "A superb film"]
    probs = model.predict(vectorizer(sample).data.astype("float32"), verbose=0)[:, 0]
    for text, p in zip(sample, probs, strict=True):
        print(f"  {text!r}: positive with probability {p:.2f}")
    return {"accuracy": float(accuracy), "seconds": seconds}


if __name__ == "__main__":
    main()
