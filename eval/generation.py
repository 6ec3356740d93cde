"""python -m eval.generation --workdir=DIR [--split=test|validation] [--seed=N]: FID,
precision and recall of prior samples and interpolants in the evaluation classifier's
features (jsemrep/evaluators/generation.py). Writes DIR/eval/generation.json
(generation_SPLIT.json for another split); every field is in docs/evaluation.md."""

from jsemrep import runtime

if __name__ == '__main__':
  runtime.prepare_process()   # before JAX is imported
  from eval import common  # pylint: disable=import-outside-toplevel
  common.main(['generation'])
