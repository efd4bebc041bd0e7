"""Writing results: atomic, and readable as the user's umask says (not private to the writer)."""

import os
import stat

import pandas as pd
import pytest

from spice_lib.files import atomic_path
from spice_lib.trials_io import write_table


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_written_files_get_the_mode_the_umask_gives_a_new_file(tmp_path, umask_022):
    write_table(tmp_path / "table.parquet", pd.DataFrame({"x": [1]}), {})
    with atomic_path(tmp_path / "note.txt") as temporary:
        temporary.write_text("hello")
    for name in ("table.parquet", "note.txt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name


def test_a_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "result.txt") as temporary:
        temporary.write_text("half")
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []
