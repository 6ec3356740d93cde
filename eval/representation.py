"""python -m eval.representation --workdir=DIR [--split=test|validation] [--seed=N]: linear
probe, retrieval mAP, k-means accuracy of latents, and tsne.png
(jsemrep/evaluators/representation.py). Writes DIR/eval/representation.json
(representation_SPLIT.json for another split); every field is in docs/evaluation.md."""

from jsemrep import runtime

if __name__ == '__main__':
  runtime.prepare_process()   # before JAX is imported
  from eval import common  # pylint: disable=import-outside-toplevel
  common.main(['representation'])
