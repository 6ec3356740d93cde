"""python -m eval.viewpoint --workdir=DIR [--split=test|validation] [--seed=N]: identity-
preserving viewpoint editing by every operator, with the oracle and no-edit references,
and edit.png (jsemrep/evaluators/viewpoint.py). Writes DIR/eval/viewpoint.json
(viewpoint_SPLIT.json for another split); every field is in docs/evaluation.md."""

from jsemrep import runtime

if __name__ == '__main__':
  runtime.prepare_process()   # before JAX is imported
  from eval import common  # pylint: disable=import-outside-toplevel
  common.main(['viewpoint'])
