"""Datasets: tfds builders and the in-memory input pipeline."""

from jsemrep.data.pipeline import (batch_indices, circular_labels, load, load_split,
                                   num_classes, prepare, shuffled_positions, to_float)
