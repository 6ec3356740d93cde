"""python -m eval.lines --workdir=DIR [--split=test|validation] [--seed=N]: ACAI's Mean
Distance and Smoothness on a run trained on lines, and lines.png
(jsemrep/evaluators/lines.py). Writes DIR/eval/lines.json (lines_SPLIT.json for another
split); every field is in docs/evaluation.md."""

from jsemrep import runtime

if __name__ == '__main__':
  runtime.prepare_process()   # before JAX is imported
  from eval import common  # pylint: disable=import-outside-toplevel
  common.main(['lines'])
