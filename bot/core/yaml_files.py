"""Reading the project's YAML files, all in one way: UTF-8, with a safe loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

Loader = type[yaml.SafeLoader] | type[yaml.BaseLoader]


def read_yaml(path: Path, loader: Loader = yaml.SafeLoader) -> Any:
    """The parsed YAML of ``path``; OSError or yaml.YAMLError when it cannot be read.

    ``loader`` is a PyYAML loader class: the default builds plain Python values; the
    clinic profile uses ``yaml.BaseLoader``, which keeps every value as written text.
    """
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
