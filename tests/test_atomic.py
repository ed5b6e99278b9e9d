"""Atomic writes give files the permissions an ordinary write gives (not mkstemp's owner-only)."""

import stat

from nasbench.storage import atomic


def test_written_files_have_the_permissions_of_a_plain_write(tmp_path):
    (tmp_path / "plain.csv").write_text("x\n")
    atomic.write_text(tmp_path / "atomic.csv", "x\n")
    modes = {name: stat.S_IMODE((tmp_path / name).stat().st_mode) for name in ("plain.csv", "atomic.csv")}
    assert modes["atomic.csv"] == modes["plain.csv"]
