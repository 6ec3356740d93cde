"""python -m eval.evaluate --workdir=DIR --evaluators=NAME[,NAME...]|all [--split=...]:
any registered evaluators (jsemrep/evaluators/) on one run, each writing
DIR/eval/NAME.json (NAME_SPLIT.json for a split other than test); with `all`, every
evaluator that applies to the run."""

from jsemrep import runtime

if __name__ == '__main__':
  runtime.prepare_process()   # before JAX is imported
  from eval import common  # pylint: disable=import-outside-toplevel
  common.main()
