"""Where data came from, for messages: the file, and the line of each row or point.

Every ingest step that can refuse its input names the file and the line at fault. A
:class:`Where` carries both, for the arrays a step is working on: ingest reorders rows (blank
ones skipped, series sorted, a wide file's columns stacked), and each reordering makes a new
:class:`Where` through :meth:`Where.via`, so ``where.line(k)`` is always the line of element
``k`` of the current arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Maps 0-based data row numbers to physical line numbers, for messages.
LineOf = Callable[[Sequence[int]], list[int]]


@dataclass(frozen=True)
class Where:
    """The file and the line of each element, for one-line messages.

    Attributes:
        file: the file named first in every message (a path, or ``<data>`` for a frame).
        line_of: maps 0-based indexes of the current arrays to line numbers; called only when
            a message is made (finding a line may scan the file).
    """

    file: str
    line_of: LineOf

    def line(self, k: int) -> int:
        """The line number of element ``k``."""
        return self.line_of([k])[0]

    def via(self, index: Callable[[int], int]) -> Where:
        """The same file, for new arrays whose element ``k`` is element ``index(k)`` of the
        current ones (rows skipped, sorted or stacked)."""
        line_of = self.line_of
        return Where(self.file, lambda ks: line_of([index(int(k)) for k in ks]))
