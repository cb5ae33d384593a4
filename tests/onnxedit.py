"""Test helper: an ONNX file with some metadata keys replaced or removed."""

from __future__ import annotations

import copy
from pathlib import Path

import onnx


def with_metadata(source: onnx.ModelProto, path: Path | str, /, **changes: str | None) -> Path:
    """``source`` saved at ``path`` with metadata keys replaced (None: removed)."""
    model = copy.deepcopy(source)
    meta = {p.key: p.value for p in model.metadata_props}
    for key, value in changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, meta)
    onnx.save(model, str(path))
    return Path(path)
