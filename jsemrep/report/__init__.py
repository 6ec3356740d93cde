"""The results report's library (eval.report is its program): the rows of every run
below a directory, one Row type for per-run and per-item tables (rows.py), their
markdown and paired differences (tables.py), and the figures of sweeps (sweeps.py)."""

from jsemrep.report.rows import (Row, collect, column_title, display_name, group_name, rows,
                                 table_columns)
from jsemrep.report.sweeps import sweep_axes, sweep_plots
from jsemrep.report.tables import differences, differences_markdown, markdown

__all__ = ['Row', 'collect', 'column_title', 'differences', 'differences_markdown',
           'display_name', 'group_name', 'markdown', 'rows', 'sweep_axes', 'sweep_plots',
           'table_columns']
