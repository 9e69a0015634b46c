"""The saved HTML player, driven in headless Chromium: its buttons and slider move the sweep.

Chromium loads a small test page from a local server; the page holds the saved player in an
iframe (same origin, so the test page can reach into it), clicks its controls, and writes what
it saw into its own DOM, which ``--dump-dom`` prints. Every host name but the local one fails
to resolve, so the player is shown to work offline. Debian's ``chromium`` package is installed
when it is missing and we are root; otherwise the test is skipped, saying why.
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograd import Value, animate

_DRIVER = """<!DOCTYPE html>
<html><body>
<pre id="result">waiting</pre>
<iframe id="player" src="sweep.html" width="1400" height="600"></iframe>
<script>
function state(doc) {
  return {
    step: doc.querySelector(".vg-step").textContent,
    caption: doc.querySelector(".vg-caption").textContent,
    picture: doc.querySelector(".vg-frame").innerHTML,
    slider: doc.querySelector("input[type=range]").value,
  };
}
document.getElementById("player").addEventListener("load", function () {
  var doc = this.contentDocument, seen = [state(doc)];
  function click(act) { doc.querySelector('[data-act="' + act + '"]').click(); }
  click("forward"); seen.push(state(doc));
  click("forward"); seen.push(state(doc));
  click("back"); seen.push(state(doc));
  click("last"); seen.push(state(doc));
  var slider = doc.querySelector("input[type=range]");
  slider.value = 3; slider.dispatchEvent(new Event("input")); seen.push(state(doc));
  click("first"); click("play");
  setTimeout(function () {
    seen.push(state(doc));
    document.getElementById("result").textContent = JSON.stringify(seen);
  }, 8000);  // virtual time: long enough to play every step at 900 ms each
});
</script>
</body></html>
"""


def _chromium() -> str:
    """The Chromium program, installed with apt-get when missing and we are root."""
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("headless Chromium is needed: install Debian's chromium package")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            pytest.skip(f"could not install chromium: {done.stderr.strip()[-300:]}")
    found = shutil.which("chromium")
    if found is None:
        pytest.skip("apt-get installed chromium, yet no chromium program is on PATH")
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A local web server for a fresh folder: (its address, the folder)."""
    folder = tmp_path_factory.mktemp("site")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_the_saved_page_plays_in_headless_chromium_offline(served, tmp_path):
    chromium = _chromium()
    address, folder = served
    x = Value(2.0, label="x")
    movie = animate((x * x).tanh() + x)
    movie.save(folder / "sweep.html")
    (folder / "driver.html").write_text(_DRIVER, encoding="utf-8")
    done = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=20000",
            "--dump-dom",
            f"{address}/driver.html",
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    start = done.stdout.index('<pre id="result">') + len('<pre id="result">')
    result = html.unescape(done.stdout[start : done.stdout.index("</pre>", start)])
    assert result != "waiting", "the player never loaded in Chromium"
    seen = json.loads(result)
    last = len(movie) - 1
    steps = [s["step"] for s in seen]
    assert steps == [
        f"step 0 of {last}",
        f"step 1 of {last}",
        f"step 2 of {last}",
        f"step 1 of {last}",
        f"step {last} of {last}",
        f"step 3 of {last}",
        f"step {last} of {last}",  # play runs from the seed to the end, then stops
    ]
    assert [s["slider"] for s in seen] == [s.split()[1] for s in steps]
    pictures = [s["picture"] for s in seen]
    assert len({pictures[0], pictures[1], pictures[2], pictures[4]}) == 4  # each step changes it
    assert pictures[1] == pictures[3] and pictures[4] == pictures[6]
    assert seen[0]["caption"] == "step 0: the output is seeded with grad 1"
    assert "#1" in seen[1]["caption"]
