"""The README's Python blocks, as users paste them: tests run them, so they stay true."""

from __future__ import annotations

import re

from models.artifacts import REPO_ROOT

OWN_MODEL_SECTION = "## Your own model"


def python_blocks(section: str) -> list[str]:
    """The ```python blocks of the README section whose heading starts with `section`."""
    text = REPO_ROOT.joinpath("README.md").read_text().split(section, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", text, re.DOTALL)
