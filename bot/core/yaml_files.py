"""Reading the project's YAML files, all in one way: UTF-8, with a safe loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

Loader = type[yaml.SafeLoader] | type[yaml.BaseLoader]

# The same loaders in C (libyaml, in PyYAML's wheels): the pure-Python ones took most
# of the time to load the content, which the Rasa server does on its first message.
_IN_C: dict[Any, Any] = (
    {yaml.SafeLoader: yaml.CSafeLoader, yaml.BaseLoader: yaml.CBaseLoader}
    if yaml.__with_libyaml__
    else {}
)


def read_yaml(path: Path, loader: Loader = yaml.SafeLoader) -> Any:
    """The parsed YAML of ``path``; OSError or yaml.YAMLError when it cannot be read.

    ``loader`` is a PyYAML loader class: the default builds plain Python values; the
    clinic profile uses ``yaml.BaseLoader``, which keeps every value as written text.
    """
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_IN_C.get(loader, loader))
