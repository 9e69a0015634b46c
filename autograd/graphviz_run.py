"""Running Graphviz on a drawing: one clear error for each way it fails, long tooltips kept whole.

Graphviz can be missing, exit with a complaint, or crash (SIGSEGV on graphs it cannot lay
out); each becomes a ``RuntimeError`` whose one-line message says what happened and what to
try. dot's lexer refuses strings over 16,384 bytes, so drawings cut long tooltips and record
the whole text in ``drawing._full_tooltips``; the SVG made here gets the whole text back.
"""

from __future__ import annotations

import html
import re
import signal

import graphviz

INSTALL_DOT = (
    "Graphviz's `dot` program is needed to write {suffix} files and was not found on PATH. "
    "Install Graphviz (Debian/Ubuntu: `sudo apt-get install graphviz`; macOS: "
    "`brew install graphviz`; others: https://graphviz.org/download/), "
    "or write a .dot or .gv file, which needs no Graphviz."
)


def run_graphviz(drawing: graphviz.Digraph, fmt: str, *, pinned: bool = False) -> bytes:
    """The drawing rendered by Graphviz to ``fmt``; RuntimeError saying why when it fails.

    ``pinned`` drawings carry every position already (see ``autograd.animation``) and are
    only drawn, by ``neato -n2``, not laid out. In SVG, tooltips too long for dot's lexer get
    their whole text back.

    >>> import graphviz
    >>> run_graphviz(graphviz.Digraph(), "svg").startswith(b"<?xml")
    True

    """
    engine = "neato" if pinned else "dot"
    try:
        content = graphviz.pipe(
            engine,
            fmt,
            drawing.source.encode("utf-8"),
            neato_no_op=2 if pinned else None,
            quiet=True,
        )
    except graphviz.ExecutableNotFound as err:
        raise RuntimeError(INSTALL_DOT.format(suffix=f".{fmt}")) from err
    except graphviz.CalledProcessError as err:
        raise RuntimeError(_failure(engine, fmt, err.returncode, err.stderr)) from err
    except OSError as err:
        raise RuntimeError(f"Graphviz's {engine} could not be run: {err.strerror or err}") from err
    tooltips = getattr(drawing, "_full_tooltips", {})
    if fmt == "svg" and tooltips:
        content = _restore_tooltips(content.decode("utf-8"), tooltips).encode("utf-8")
    return content


def _failure(engine: str, fmt: str, status: int, stderr: bytes | str | None) -> str:
    """One line: how Graphviz failed, and what to try instead."""
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", errors="replace")
    said = next((line.strip() for line in (stderr or "").splitlines() if line.strip()), "")
    said = said if len(said) <= 200 else said[:200] + "…"
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        how = f"crashed ({name})"
    else:
        how = f"failed (exit status {status}{': ' + said if said else ''})"
    return (
        f"Graphviz's {engine} {how} while drawing the graph as {fmt}; try a smaller graph "
        "(a lower max_nodes, or level='neuron' or 'layer'), or write a .dot or .gv file, "
        "which needs no Graphviz"
    )


def _restore_tooltips(svg: str, tooltips: dict[str, str]) -> str:
    """Put each cut tooltip's whole text back into the SVG, found by its node's name."""

    def whole(match: re.Match[str]) -> str:
        text = tooltips.get(html.unescape(match["name"]))
        if text is None:
            return match[0]
        return f'{match["head"]}{html.escape(text, quote=True).replace(chr(10), "&#10;")}"'

    pattern = r'(?P<head><title>(?P<name>[^<]*)</title>\s*<g id="[^"]*"><a xlink:title=")[^"]*"'
    return re.sub(pattern, whole, svg)
