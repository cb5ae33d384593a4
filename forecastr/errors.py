"""Every error a user can cause. The CLI prints ``str(err)`` on one line and exits non-zero."""


class ForecastrError(Exception):
    """Base class: the message is one line that names what is wrong and how to fix it."""

    exit_code = 1


class InputError(ForecastrError):
    """The CSV (or other input file) cannot be used as given."""

    exit_code = 2


class SeriesTooShortError(InputError):
    """A series has fewer points than the window, horizon and splits need."""


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
