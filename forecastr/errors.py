"""Every error a user can cause. The CLI prints ``str(err)`` on one line and exits non-zero."""


class ForecastrError(Exception):
    """Base class: the message is one line that names what is wrong and how to fix it."""

    exit_code = 1


class InputError(ForecastrError):
    """The CSV (or other input file) cannot be used as given."""

    exit_code = 2


class SeriesTooShortError(InputError):
    """A series has fewer points than the window, horizon and splits need."""


class SeriesKeyError(InputError):
    """The id column(s) read do not tell the rows' series apart: a timestamp repeats within a
    series, or every series has a single point (the id numbers the rows)."""

    def __init__(self, message: str, single: bool = False) -> None:
        super().__init__(message)
        self.single = single  # every series has one point: the id is a row number


class ArtifactError(ForecastrError):
    """A model directory or ONNX file is missing, corrupt, tampered with or foreign."""

    exit_code = 3


class TrainingError(ForecastrError):
    """Training could not produce a usable model (e.g. the loss became NaN)."""

    exit_code = 4


class ExportError(ForecastrError):
    """ONNX export failed its checks; nothing was written."""

    exit_code = 5


class OutputError(ForecastrError):
    """An output location cannot be created or written to (permissions, read-only or full
    disk); nothing was written."""

    exit_code = 7


class ForecastrWarning(UserWarning):
    """Something the user should know that does not stop the command (the CLI prints it on
    one ``warning:`` line)."""


class MissingDependencyError(ForecastrError):
    """An optional dependency (torch, scikit-learn, ...) is not installed."""

    exit_code = 6


def require(module: str, extra: str = "full") -> None:
    """Raise a one-line install hint if ``module`` cannot be imported."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise MissingDependencyError(
            f"this command needs '{module}', which is not installed; "
            f"install it with: pip install 'forecastr[{extra}]'"
        )


def shown(text: object, limit: int = 80, quote: bool = True) -> str:
    """``text`` made safe to print in a one-line message or a terminal table.

    Text from a file (series ids, column names, cells, a header line) may hold control
    characters (an ANSI escape would recolour or rewrite the user's terminal, a newline would
    break the one-line rule) or be megabytes long. Non-printable characters are written as
    ``repr`` escapes (``\\x1b``, ``\\n``, ``\\u202e``) and text longer than ``limit``
    characters is cut, ending ``…`` and the full length.

    Args:
        text: what to show (``str()`` of it).
        limit: the most characters of ``text`` kept.
        quote: quote it as ``repr`` does (``'a'``); False for a table cell.
    """
    s = str(text)
    cut = s[:limit]
    out = repr(cut) if quote else "".join(c if c.isprintable() else repr(c)[1:-1] for c in cut)
    if len(s) > limit:
        out += f"… ({len(s)} characters)"
    return out


def one_line(text: object, limit: int | None = 300) -> str:
    """``text`` (a message or an exception) on one line, whitespace runs joined, cut after
    ``limit`` characters (None: never); an exception with no text gives its type's name."""
    line = " ".join(str(text).split())
    if not line and isinstance(text, BaseException):
        return type(text).__name__
    return line[:limit] + "..." if limit is not None and len(line) > limit else line
