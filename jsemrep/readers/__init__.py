"""The evaluation readers: the classifiers that label decoded images (the CNN, and the
MLP second reader that checks it) and the autoencoder every image is read through, so
that a reader reads a decoder's output as it reads a real image (docs/evaluation.md).

cache: where each reader is stored beside the datasets, trained once per version of
the dataset and of the readers (VERSION), and read back digest-checked; classifier:
their training and reading; autoencoder: the readers' own autoencoder; loop: the one
training loop they share."""

from jsemrep.readers.cache import (VERSION, autoencoder_dir, classifier_dir, load_cached,
                                   load_or_train, load_or_train_autoencoder)
from jsemrep.readers.classifier import (ARCHITECTURES, MAX_EPOCHS, PATIENCE, SECOND_READER, Reader,
                                        predict, train_classifier)

__all__ = ['ARCHITECTURES', 'MAX_EPOCHS', 'PATIENCE', 'SECOND_READER', 'Reader', 'VERSION',
           'autoencoder_dir', 'classifier_dir', 'load_cached', 'load_or_train',
           'load_or_train_autoencoder', 'predict', 'train_classifier']
