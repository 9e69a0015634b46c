"""Tests of the saved notebooks as a reader sees them (pytest --nbmake executes them apart)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def outputs(path: Path) -> list[dict]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [output for cell in cells for output in cell.get("outputs", [])]


def test_there_are_notebooks_to_check():
    assert len(NOTEBOOKS) >= 5


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_saved_notebook_shows_no_stderr_and_no_errors(path):
    # stderr is what GitHub shows as pink frames (tqdm's text bar wrote one per refresh)
    kinds = [(o["output_type"], o.get("name")) for o in outputs(path)]
    assert ("stream", "stderr") not in kinds
    assert all(kind != "error" for kind, _ in kinds)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_readme_learn_lists_the_notebook_with_a_picture(path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    learn = readme.split("## Learn", 1)[1].split("\n## ", 1)[0]
    entry = re.search(rf"\]\(notebooks/{re.escape(path.name)}\)(.*?)(?=\n- |\Z)", learn, re.S)
    assert entry, f"README's Learn section has no entry for {path.name}"
    pictures = re.findall(r"!\[[^\]]+\]\((notebooks/images/[^)]+)\)", entry.group(1))
    assert len(pictures) == 1 and (ROOT / pictures[0]).is_file()
