"""The registry of dataset builders: name -> tfds builder class."""

from jsemrep.data.folder import Folder
from jsemrep.data.lines import Lines
from jsemrep.data.mnist5k import Mnist5k, RotatedMnist5k
from jsemrep.data.mnist_idx import FashionMnist, Mnist
from jsemrep.data.multi_pie import MultiPie
from jsemrep.data.synthetic_heads import SyntheticHeads

BUILDERS = {
    'mnist': Mnist,
    'fashion_mnist': FashionMnist,
    'mnist5k': Mnist5k,
    'rotated_mnist5k': RotatedMnist5k,
    'lines': Lines,
    'multi_pie': MultiPie,
    'synthetic_heads': SyntheticHeads,
    'folder': Folder,   # your own class folders (jsemrep.data.folder; options per run)
}
