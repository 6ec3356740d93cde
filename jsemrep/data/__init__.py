"""Datasets: tfds builders and the in-memory input pipeline."""

from jsemrep.data.pipeline import batch_indices, load, num_classes, prepare, to_float
