"""Methods: loss terms (terms.py), second players (critics.py) and the presets that
combine them (presets.py), bound once per training program (`bind`)."""

from jsemrep.methods.critics import Critic
from jsemrep.methods.presets import (PRESETS, Bound, Method, bind, effective_weights, method,
                                     uses_labels)
from jsemrep.methods.terms import TERMS, per_example_normal, register_term, term_key

__all__ = ['PRESETS', 'TERMS', 'Bound', 'Critic', 'Method', 'bind', 'effective_weights',
           'method', 'per_example_normal', 'register_term', 'term_key', 'uses_labels']
