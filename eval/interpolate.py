"""python -m eval.interpolate --workdir=DIR [--split=test|validation] [--seed=N]: ordinal
interpolation accuracy, monotone and visits of lerp/slerp, direct/semantic paths, and
interpolate.png (jsemrep/evaluators/interpolation.py). Writes DIR/eval/interpolate.json
(interpolate_SPLIT.json for another split); every field is in docs/evaluation.md."""

from jsemrep import runtime

if __name__ == '__main__':
  runtime.prepare_process()   # before JAX is imported
  from eval import common  # pylint: disable=import-outside-toplevel
  common.main(['interpolate'])
