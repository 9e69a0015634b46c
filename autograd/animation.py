"""The backward sweep as an animation: one drawing per step, played in a page or a GIF.

``animate(root)`` makes frame ``k`` the drawing ``draw(root, "backward", step=k)``, from the
seed alone (``k = 0``) to the finished sweep. Graphviz lays each graph out afresh and labels
change from step to step, so drawn one by one the boxes would jump around; instead the graph
is laid out once (at the last step, when every label has its final size) and every frame is
drawn with those positions pinned (``neato -n2`` draws without laying out).

In Jupyter an ``Animation`` shows itself as a player: the frames' SVG inline, with play/pause,
step back/forward, a slider and the step number, all in the page (a few lines of JavaScript,
no library, no kernel, no network), so it keeps playing in a saved notebook, an exported page
and offline. Without JavaScript (a static notebook viewer) the page shows the finished sweep.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from autograd.backward import topological_order
from autograd.draw import PAGE, _check_options, _Drawing, draw
from autograd.files import write_atomically
from autograd.graphviz_run import run_graphviz
from autograd.value import Value

FRAME_MS = 900  # how long a GIF shows each step, and the player's pace
HOLD_MS = 2500  # the finished sweep stays longer, before the GIF starts again
GIF_COLOURS = 48  # enough for the colour scale and anti-aliased text
SUFFIXES = (".html", ".htm", ".gif")  # anything without a suffix is a folder of .svg frames
_FRAME_NAME = re.compile(r"frame-\d+\.svg")


def animate(root: Value, **options: Any) -> Animation:
    """The backward sweep of ``root``, one frame per step: ``draw(root, "backward", step=k)``.

    ``options`` are those of ``draw`` (``rankdir``, ``max_nodes``, ``cluster``, ``level``,
    ``check``, ``legend``, ``size``); ``step`` is what the animation varies.

    >>> from autograd import Value
    >>> x = Value(2.0, label="x")
    >>> movie = animate(x * x + 1)
    >>> len(movie), movie.frames[1].source == draw(x * x + 1, "backward", step=1).source
    (4, True)
    """
    if "step" in options:
        raise TypeError("animate shows every step of the sweep: it takes no step option")
    if "mode" in options:
        raise TypeError("animate shows the backward sweep: it takes no mode option")
    drawing = {"rankdir": "LR", "max_nodes": 500, "cluster": False, "level": "value"}
    drawing |= {"check": False, "legend": True, "size": PAGE}
    unknown = sorted(set(options) - set(drawing))
    if unknown:
        raise TypeError(f"animate got unknown options {unknown}; accepted: {', '.join(drawing)}")
    drawing |= options
    _check_options(root, "backward", step=None, **drawing)
    return Animation(root, drawing)


class Animation:
    """The frames of a backward sweep; shows itself as a player in Jupyter; ``save`` writes it.

    ``frames[i]`` is the ``graphviz.Digraph`` at step ``steps[i]``: every step at the level of
    Values, and at the neuron and layer levels the steps that change the picture (a visit
    inside a neuron's box shows nothing). ``svg_frames()`` are the same drawings rendered with
    one shared layout.
    """

    def __init__(self, root: Value, options: dict[str, Any]) -> None:
        self._root = root
        self._options = options
        self.frames: list[Any] = []
        self.steps: list[int] = []
        for k in range(len(topological_order(root)) + 1):
            frame = draw(root, "backward", step=k, **options)
            # At the neuron and layer levels a visit inside a box changes nothing in sight.
            if not self.frames or frame.source != self.frames[-1].source:
                self.frames.append(frame)
                self.steps.append(k)
        self._svgs: list[str] | None = None

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return f"<Animation of the backward sweep: {len(self)} frames>"

    # -- rendering ------------------------------------------------------------------------

    def _pinned(self, i: int, pins: _Pins) -> Any:
        o = self._options
        step = self.steps[i]
        drawing = _Drawing(self._root, "backward", step, o["cluster"], o["level"], o["check"], pins)
        return drawing.build(o["rankdir"], o["max_nodes"], o["legend"], o["size"])

    def _layout(self) -> _Pins:
        """One layout for every frame, each box as large as its largest label in any frame.

        The next-to-last step has every edge's final label and the legend of a partial sweep;
        boxes are measured in every frame (drawing a pinned frame costs no layout), and the
        graph is laid out again with each box at its largest.
        """
        k = max(len(self.frames) - 2, 0)
        first = _Pins(json.loads(run_graphviz(self.frames[k], "json")))
        sizes: dict[str, tuple[float, float]] = {}
        for j in range(len(self.frames)):
            measured = json.loads(run_graphviz(self._pinned(j, first), "json", pinned=True))
            for item in measured.get("objects", []):
                if "width" in item:
                    width, height = float(item["width"]), float(item["height"])
                    old = sizes.get(item["name"], (0.0, 0.0))
                    sizes[item["name"]] = (max(old[0], width), max(old[1], height))
        sized = self._pinned(k, _Pins({}, sizes))
        return _Pins(json.loads(run_graphviz(sized, "json")), sizes)

    def svg_frames(self) -> list[str]:
        """Each frame as an SVG document, all drawn on the same layout."""
        if self._svgs is None:
            pins = self._layout()
            self._svgs = [
                run_graphviz(self._pinned(k, pins), "svg", pinned=True).decode("utf-8")
                for k in range(len(self.frames))
            ]
        return self._svgs

    def png_frames(self) -> list[bytes]:
        """Each frame as a PNG image, all drawn on the same layout."""
        pins = self._layout()
        return [run_graphviz(self._pinned(k, pins), "png", pinned=True) for k in range(len(self))]

    def captions(self) -> list[str]:
        """What happens at each frame's step, in words, for the player."""
        visits = topological_order(self._root)[::-1]
        words = []
        for k in self.steps:
            if k == 0:
                words.append("step 0: the output is seeded with grad 1")
                continue
            v = visits[k - 1]
            name = f"#{k} {v.label}" if v.label else f"#{k}"
            if v.is_leaf:
                words.append(f"step {k}: {name} is a leaf: its gradient is final")
            else:
                words.append(f"step {k}: {name} passes its gradient to its inputs")
        if self.steps[-1] == len(visits):
            words[-1] += " (the sweep is complete)"
        return words

    # -- the player -----------------------------------------------------------------------

    def to_html(self) -> str:
        """The player as an HTML fragment (what Jupyter shows): frames, controls, no URL."""
        svgs = [_inline(svg) for svg in self.svg_frames()]
        pieces: dict[str, int] = {}
        recipes = []
        for svg in svgs:
            # Consecutive frames share most nodes and edges: each distinct piece is kept once.
            recipe = []
            for piece in _pieces(svg):
                recipe.append(pieces.setdefault(piece, len(pieces)))
            recipes.append(recipe)
        data = {
            "pieces": list(pieces),
            "frames": recipes,
            "steps": self.steps,
            "captions": self.captions(),
        }
        payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
        ident = "vg" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]
        return _PLAYER.format(
            id=ident,
            last=len(svgs) - 1,
            steps=self.steps[-1],
            final=svgs[-1],
            caption=html.escape(data["captions"][-1]),
            data=payload,
            ms=FRAME_MS,
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_page(self) -> str:
        """A standalone HTML page holding the player."""
        return _PAGE.format(player=self.to_html())

    # -- files ----------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the animation: ``.html`` (the player), ``.gif``, or a folder of ``.svg`` frames.

        A path without a suffix is a folder, made with ``frame-000.svg``, ``frame-001.svg``,
        ... (numbered by step); an existing one is replaced only if it holds nothing but such
        frames. Files and folders are written whole or not at all.
        """
        if not isinstance(path, str | os.PathLike):
            raise TypeError(f"path must be a str or a path, got {type(path).__name__}")
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix and suffix not in SUFFIXES:
            raise ValueError(
                f"cannot tell what to write to {str(path)!r} from its suffix {path.suffix!r}; "
                f"accepted: {', '.join(SUFFIXES)}, or no suffix for a folder of .svg frames"
            )
        if not path.parent.is_dir():
            raise FileNotFoundError(
                f"cannot write {str(path)!r}: there is no folder {str(path.parent)!r}"
            )
        if suffix in (".html", ".htm"):
            write_atomically(path, self.to_page().encode("utf-8"))
        elif suffix == ".gif":
            write_atomically(path, self._gif())
        else:
            self._save_folder(path)
        return path

    def _gif(self) -> bytes:
        from PIL import Image  # Pillow comes with matplotlib, a dependency

        images = [Image.open(io.BytesIO(png)).convert("RGB") for png in self.png_frames()]
        width = max(image.width for image in images)
        height = max(image.height for image in images)
        # One palette for every frame, made from all of them, so that the GIF stores each frame
        # as its difference from the one before.
        strip = Image.new("RGB", (width, height * len(images)), "white")
        for k, image in enumerate(images):
            strip.paste(image, (0, height * k))
        palette = strip.quantize(colors=GIF_COLOURS, dither=Image.Dither.NONE)
        frames = []
        for image in images:
            canvas = Image.new("RGB", (width, height), "white")
            canvas.paste(image, (0, 0))
            frames.append(canvas.quantize(palette=palette, dither=Image.Dither.NONE))
        durations = [FRAME_MS] * (len(frames) - 1) + [HOLD_MS]
        out = io.BytesIO()
        frames[0].save(
            out,
            format="GIF",
            save_all=True,
            append_images=frames[1:],
            duration=durations,
            loop=0,
            optimize=True,
        )
        return out.getvalue()

    def _save_folder(self, path: Path) -> None:
        if path.exists():
            if not path.is_dir():
                raise FileExistsError(f"cannot write frames to {str(path)!r}: it is a file")
            others = [p.name for p in path.iterdir() if not _FRAME_NAME.fullmatch(p.name)]
            if others:
                raise FileExistsError(
                    f"{str(path)!r} holds other files than frames ({others[0]!r}); "
                    "choose a new folder or an empty one"
                )
        temporary = path.with_name(f".{path.name[:200]}.{secrets.token_hex(8)}.tmp")
        temporary.mkdir()
        try:
            width = max(len(str(self.steps[-1])), 3)
            for k, svg in zip(self.steps, self.svg_frames(), strict=True):
                name = f"frame-{k:0{width}d}.svg"  # named after its step
                (temporary / name).write_text(svg, encoding="utf-8")
            if path.exists():
                # A folder cannot be renamed over a full one: swap the old one out first.
                old = path.with_name(f".{path.name[:200]}.{secrets.token_hex(8)}.old")
                os.replace(path, old)
                os.replace(temporary, path)
                shutil.rmtree(old)
            else:
                os.replace(temporary, path)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise


class _Pins:
    """Positions from one Graphviz layout (its JSON output) and box sizes, to pin in a frame."""

    def __init__(
        self, layout: dict[str, Any], sizes: dict[str, tuple[float, float]] | None = None
    ) -> None:
        self._graph = {k: layout[k] for k in ("bb", "lp") if k in layout}
        self._nodes: dict[str, dict[str, str]] = {}
        self._clusters: dict[str, dict[str, str]] = {}
        for name, (width, height) in (sizes or {}).items():
            # The smallest size a box may take: it is never smaller in any frame.
            self._nodes[name] = {"width": f"{width:.4f}", "height": f"{height:.4f}"}
        for item in layout.get("objects", []):
            if "pos" in item:
                self._nodes.setdefault(item["name"], {})["pos"] = item["pos"] + "!"
            elif "bb" in item:
                self._clusters[item["name"]] = {k: item[k] for k in ("bb", "lp") if k in item}
        self._edges = [
            {k: edge[k] for k in ("pos", "lp") if k in edge}
            for edge in sorted(layout.get("edges", []), key=lambda e: e["_gvid"])
        ]

    def graph(self) -> dict[str, str]:
        return self._graph

    def node(self, name: str) -> dict[str, str]:
        return self._nodes.get(name, {})

    def cluster(self, name: str) -> dict[str, str]:
        return self._clusters.get(name, {})

    def edge(self, number: int) -> dict[str, str]:
        return self._edges[number] if number < len(self._edges) else {}


def _inline(svg: str) -> str:
    """An SVG document as markup to put in a page: no prolog, comments or namespace URLs."""
    svg = re.sub(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", "", svg, flags=re.DOTALL)
    svg = re.sub(r'\s+xmlns(?::xlink)?="[^"]*"', "", svg)
    # As wide as drawn, or as the page when that is narrower: the picture shrinks to fit.
    svg = re.sub(
        r'<svg width="([\d.]+)pt" height="[\d.]+pt"',
        r'<svg style="width: 100%; max-width: \1pt; height: auto"',
        svg,
        count=1,
    )
    return svg.strip()


def _pieces(svg: str) -> list[str]:
    """An inlined SVG cut into its groups (a node, an edge, a cluster each) and what is between."""
    return [piece for piece in re.split(r"(?=<g id=)|(?<=</g>)", svg) if piece]


_PLAYER = """\
<div class="valuegrad-player" id="{id}" style="font-family: Helvetica, Arial, sans-serif">
<div style="display: flex; gap: 6px; align-items: center; flex-wrap: wrap; margin: 4px 0">
<button type="button" data-act="first" title="the seed">|&#9664;</button>
<button type="button" data-act="back" title="one step back">&#9664; back</button>
<button type="button" data-act="play" title="play or pause">&#9654; play</button>
<button type="button" data-act="forward" title="one step forward">step &#9654;</button>
<button type="button" data-act="last" title="the finished sweep">&#9654;|</button>
<input type="range" min="0" max="{last}" value="{last}" step="1" style="width: 240px"
 aria-label="step">
<span class="vg-step">step {steps} of {steps}</span>
</div>
<div class="vg-caption" style="font-size: 13px; margin: 2px 0 6px">{caption}</div>
<div class="vg-frame">{final}</div>
<script type="application/json" class="vg-data">{data}</script>
<script>
(function () {{
  var root = document.getElementById("{id}");
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  var data = JSON.parse(root.querySelector(".vg-data").textContent);
  var frame = root.querySelector(".vg-frame"), slider = root.querySelector("input");
  var label = root.querySelector(".vg-step"), caption = root.querySelector(".vg-caption");
  var play = root.querySelector('[data-act="play"]');
  var last = data.frames.length - 1, shown = -1, timer = null;
  function show(k) {{
    k = Math.max(0, Math.min(last, k));
    if (k !== shown) {{
      frame.innerHTML = data.frames[k].map(function (i) {{ return data.pieces[i]; }}).join("");
      shown = k;
    }}
    slider.value = k;
    label.textContent = "step " + data.steps[k] + " of " + data.steps[last];
    caption.textContent = data.captions[k];
  }}
  function pause() {{
    clearInterval(timer); timer = null; play.innerHTML = "&#9654; play";
  }}
  function start() {{
    if (shown >= last) show(0);
    play.innerHTML = "&#10074;&#10074; pause";
    timer = setInterval(function () {{
      if (shown >= last) pause(); else show(shown + 1);
    }}, {ms});
  }}
  root.addEventListener("click", function (event) {{
    var act = event.target.closest("button") && event.target.closest("button").dataset.act;
    if (!act) return;
    if (act === "play") {{ if (timer) pause(); else start(); return; }}
    pause();
    show({{first: 0, back: shown - 1, forward: shown + 1, last: last}}[act]);
  }});
  slider.addEventListener("input", function () {{ pause(); show(Number(slider.value)); }});
  show(0);
}})();
</script>
</div>"""

_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>The backward sweep, step by step</title>
</head>
<body>
{player}
</body>
</html>
"""
