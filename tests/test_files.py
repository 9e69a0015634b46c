"""Atomic writes (autograd.files), as drawings and saved models use them."""

from __future__ import annotations

import errno
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn
from autograd import Value, render
from autograd.files import write_atomically

# The longest name most file systems take is 255 bytes; the old temporary names added 26.
LONGEST = "n" * 250


def test_a_file_of_the_longest_legal_name_is_written_and_nothing_else(tmp_path):
    path = write_atomically(tmp_path / (LONGEST + ".txt"), b"content")
    assert path.read_bytes() == b"content"
    assert list(tmp_path.iterdir()) == [path]


def test_render_and_save_take_the_longest_legal_names(tmp_path):
    drawing = render(Value(2.0, label="x") * 3, tmp_path / (LONGEST + ".dot"))
    model = nn.save(nn.MLP(2, [1], seed=0), tmp_path / (LONGEST + ".json"))
    assert nn.load(model).state_dict() == nn.MLP(2, [1], seed=0).state_dict()
    assert sorted(tmp_path.iterdir()) == sorted([drawing, model])


def test_writing_to_a_folder_names_the_folder_not_a_temporary_file(tmp_path):
    with pytest.raises(IsADirectoryError, match="it is a folder") as caught:
        write_atomically(tmp_path, b"x")
    assert ".tmp" not in str(caught.value) and str(tmp_path) in str(caught.value)
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        nn.save(nn.MLP(2, [1], seed=0), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_or_a_file_in_its_place_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"cannot write '.*nope/x': there is no folder"):
        write_atomically(tmp_path / "nope" / "x", b"x")
    (tmp_path / "f").write_text("keep")
    with pytest.raises(NotADirectoryError, match=r"'.*f' is a file, not a folder"):
        write_atomically(tmp_path / "f" / "x", b"x")
    assert (tmp_path / "f").read_text() == "keep"


def test_a_pipe_is_not_replaced_by_a_plain_file(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(OSError, match="it is a device, a pipe or a socket"):
        write_atomically(tmp_path / "pipe", b"x")
    assert not (tmp_path / "pipe").is_file() and (tmp_path / "pipe").exists()


def test_a_link_keeps_pointing_to_the_file_it_names_which_is_replaced(tmp_path):
    (tmp_path / "target").write_bytes(b"old")
    (tmp_path / "link").symlink_to("target")
    write_atomically(tmp_path / "link", b"new")
    assert (tmp_path / "link").is_symlink() and (tmp_path / "target").read_bytes() == b"new"


def test_a_replaced_file_keeps_its_permissions_and_a_new_one_gets_the_usual(tmp_path):
    (tmp_path / "private").write_bytes(b"old")
    os.chmod(tmp_path / "private", 0o600)
    write_atomically(tmp_path / "private", b"new")
    assert os.stat(tmp_path / "private").st_mode & 0o777 == 0o600
    umask = os.umask(0)
    os.umask(umask)
    write_atomically(tmp_path / "new", b"new")
    assert os.stat(tmp_path / "new").st_mode & 0o777 == 0o666 & ~umask


def test_a_failure_keeps_the_old_file_removes_the_temporary_and_names_the_path(
    tmp_path, monkeypatch
):
    path = tmp_path / "m.txt"
    path.write_bytes(b"old")

    def disk_full(source, target):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(source))

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left on device") as caught:
        write_atomically(path, b"new")
    monkeypatch.undo()
    assert caught.value.filename == str(path)
    assert path.read_bytes() == b"old" and list(tmp_path.iterdir()) == [path]


def test_content_must_be_bytes(tmp_path):
    with pytest.raises(TypeError, match="content must be bytes, got str"):
        write_atomically(tmp_path / "x", "text")


_LEGAL_NAMES = (
    st.text(st.characters(blacklist_characters="/\x00", blacklist_categories=["Cs"]), min_size=1)
    .filter(lambda name: name not in (".", "..") and len(name.encode("utf-8")) <= 255)
    .map(lambda name: name[:255])
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=_LEGAL_NAMES | st.integers(200, 255).map(lambda n: "é" * (n // 2) + "x" * (n % 2)))
def test_every_legal_file_name_is_written_leaving_nothing_else(tmp_path_factory, name):
    folder = tmp_path_factory.mktemp("names")
    path = write_atomically(folder / name, b"content")
    assert path.read_bytes() == b"content" and list(folder.iterdir()) == [folder / name]
