"""The results report's library (eval.report is its program): rows of every run below
a directory (rows.py) and their markdown and paired differences (tables.py)."""

from jsemrep.report.rows import (collect, column_title, display_name, group, group_name,
                                 item_rows, table_columns)
from jsemrep.report.tables import (differences, differences_markdown, item_differences,
                                   item_differences_markdown, item_markdown, markdown)

__all__ = ['collect', 'column_title', 'differences', 'differences_markdown', 'display_name',
           'group', 'group_name', 'item_differences', 'item_differences_markdown',
           'item_markdown', 'item_rows', 'markdown', 'table_columns']
