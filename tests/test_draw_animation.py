"""animate(): frames of the backward sweep, the offline HTML player, the GIF, the frame folder."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from autograd import Animation, Value, animate, draw, linear, topological_order
from autograd.animation import _inline
from autograd.draw import HIGHLIGHT_COLOUR

SVG = "{http://www.w3.org/2000/svg}"


def neuron() -> Value:
    names = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
    v = {name: Value(data, label=name) for name, data in names.items()}
    return (v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]).tanh()


@pytest.fixture(scope="module")
def movie() -> Animation:
    return animate(neuron())


def player_data(page: str) -> dict:
    match = re.search(r'<script type="application/json" class="vg-data">(.*?)</script>', page, re.S)
    return json.loads(match[1])


def test_frame_k_is_the_drawing_at_step_k_from_the_seed_to_the_finished_sweep(movie):
    root = neuron()
    values = len(topological_order(root))
    assert len(movie) == values + 1
    assert movie.steps == list(range(values + 1))  # at the level of Values, every step
    for k, frame in enumerate(movie.frames):
        assert frame.source == draw(root, "backward", step=k).source
    assert movie.frames[-1].source == draw(root, "backward").source


def test_animate_passes_drawing_options_on_and_refuses_others():
    out = neuron()
    assert "rankdir=TB" in animate(out, rankdir="TB").frames[0].source
    with pytest.raises(TypeError, match="no step option"):
        animate(out, step=2)
    with pytest.raises(TypeError, match="no mode option"):
        animate(out, mode="forward")
    with pytest.raises(TypeError, match=r"unknown options \['colour'\]"):
        animate(out, colour="red")
    with pytest.raises(ValueError, match="rankdir must be one of"):
        animate(out, rankdir="XX")
    with pytest.raises(TypeError, match="draw needs a Value"):
        animate(3.0)


def test_the_player_holds_every_frame_and_shows_the_finished_sweep_without_javascript(movie):
    page = movie.to_page()
    data = player_data(page)
    svgs = [_inline(svg) for svg in movie.svg_frames()]
    assert len(data["frames"]) == len(svgs) == len(movie)
    for recipe, svg in zip(data["frames"], svgs, strict=True):
        assert "".join(data["pieces"][i] for i in recipe) == svg
    assert len(set(map(tuple, data["frames"]))) == len(svgs)  # every step changes the picture
    assert svgs[-1] in page  # the static page shows the finished sweep
    assert data["captions"][0] == "step 0: the output is seeded with grad 1"
    assert movie._repr_html_() == movie.to_html() and movie.to_html() in page


def test_the_player_needs_nothing_from_the_network(movie):
    page = movie.to_page()
    assert not re.search(r"https?:|//[a-z]|\bsrc=|\bhref=|@import|url\(", page, re.I)
    for button in ("first", "back", "play", "forward", "last"):
        assert f'data-act="{button}"' in page
    assert 'type="range"' in page


def _node_shapes(svg: str) -> dict[str, str]:
    """Node name -> the coordinates of its box or oval, from an SVG frame."""
    shapes = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        if group.get("class") != "node":
            continue
        name = group.find(f"{SVG}title").text
        shape = next(e for e in group.iter() if e.tag in (f"{SVG}polygon", f"{SVG}ellipse"))
        shapes[name] = " ".join(
            shape.get(a, "") for a in ("points", "cx", "cy", "rx", "ry") if shape.get(a)
        )
    return shapes


def test_every_frame_keeps_each_node_where_it_is(movie):
    shapes = [_node_shapes(svg) for svg in movie.svg_frames()]
    for frame in shapes[1:]:
        assert frame == shapes[0]
    assert len(shapes[0]) == 2 * len(topological_order(neuron())) - 5  # 10 Values, 5 operations


def test_the_node_being_visited_is_highlighted_in_its_frame(movie):
    root = neuron()
    order = topological_order(root)
    for k in range(1, len(order)):
        highlighted = [
            name
            for name, attrs in _svg_strokes(movie.svg_frames()[k]).items()
            if HIGHLIGHT_COLOUR in attrs
        ]
        visited = order[::-1][k - 1]
        expected = {f"v{order.index(visited)}"}
        if not visited.is_leaf:
            expected.add(f"o{order.index(visited)}")
        assert set(highlighted) == expected


def _svg_strokes(svg: str) -> dict[str, set[str]]:
    found = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        if group.get("class") == "node":
            strokes = {e.get("stroke") for e in group.iter() if e.get("stroke")}
            found[group.find(f"{SVG}title").text] = strokes
    return found


def test_save_html_writes_the_standalone_page_and_nothing_else(movie, tmp_path):
    path = movie.save(tmp_path / "sweep.html")
    assert path == tmp_path / "sweep.html"
    assert path.read_text(encoding="utf-8") == movie.to_page()
    assert [p.name for p in tmp_path.iterdir()] == ["sweep.html"]


def test_save_gif_has_one_frame_per_step_all_the_same_size(movie, tmp_path):
    path = movie.save(tmp_path / "sweep.gif")
    image = Image.open(path)
    assert image.format == "GIF" and image.n_frames == len(movie)
    sizes = set()
    for k in range(image.n_frames):
        image.seek(k)
        sizes.add(image.size)
    assert len(sizes) == 1
    first = Image.open(io.BytesIO(movie.png_frames()[0]))
    assert sizes == {first.size}


def test_save_to_a_folder_writes_numbered_svg_frames_and_replaces_only_frames(movie, tmp_path):
    folder = movie.save(tmp_path / "frames")
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"frame-{k:03d}.svg" for k in range(len(movie))]
    for name, svg in zip(names, movie.svg_frames(), strict=True):
        assert (folder / name).read_text(encoding="utf-8") == svg
        ET.parse(folder / name)
    smaller = animate(Value(1.0) * 2)
    smaller.save(folder)  # a folder of frames is replaced whole
    assert sorted(p.name for p in folder.iterdir()) == ["frame-000.svg", "frame-001.svg",
                                                        "frame-002.svg"]  # fmt: skip
    assert [p.name for p in tmp_path.iterdir()] == ["frames"]
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="other files than frames"):
        movie.save(folder)
    assert (folder / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("name", ["sweep.png", "sweep.mp4"])
def test_save_refuses_a_suffix_it_cannot_write_saying_what_is_accepted(movie, tmp_path, name):
    with pytest.raises(ValueError, match=r"accepted: \.html, \.htm, \.gif, or no suffix"):
        movie.save(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_save_into_a_missing_folder_says_which(movie, tmp_path):
    with pytest.raises(FileNotFoundError, match="is no folder"):
        movie.save(tmp_path / "nope" / "sweep.html")


def test_an_animation_of_a_clustered_network_keeps_its_boxes_in_every_frame():
    w = [Value(0.5, label=f"layers.0.neurons.0.w.{i}") for i in range(2)]
    out = linear(w, [1.0, 2.0], Value(0.1, label="layers.0.neurons.0.b")).tanh()
    svgs = animate(out, cluster=True).svg_frames()
    for svg in svgs:
        groups = ET.fromstring(svg).iter(f"{SVG}g")
        assert sum(1 for g in groups if g.get("class") == "cluster") == 2
