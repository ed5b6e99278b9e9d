"""The bundled NAS-Bench-201 table: complete, in benchmark-index order, and equal to the full tables."""

import pandas as pd
import pytest
from conftest import FULL_NB201_DIR

from nasbench.search_spaces.nb201 import NB201Space
from nasbench.search_spaces.nb201.bundled import BUNDLED_FILE, DECIMALS, SOURCE_COLUMNS, bundled_table


def test_bundled_table_is_complete_and_small():
    table = bundled_table()
    assert len(table) == 15625 and table["arch_str"].is_unique
    assert BUNDLED_FILE.stat().st_size < 2_000_000
    space = NB201Space()
    assert all(space.decode(s).to_string() == s for s in table["arch_str"].iloc[::500])
    # ../shared/data/nb201/README.md: best valid-accuracy 91.607 at index 6111, CIFAR-10 test 94.373
    assert table["valid-accuracy"].idxmax() == 6111
    assert table.loc[6111, "CIFAR10TestAccuracy200Epochs"] == pytest.approx(94.373, abs=1e-3)


@pytest.mark.skipif(
    not (FULL_NB201_DIR / "cifar10_valid_200ep_seedavg.csv").exists(), reason="the full NAS-Bench-201 tables are absent"
)
def test_bundled_table_agrees_with_the_full_tables():
    table = bundled_table()
    for file, columns in SOURCE_COLUMNS.items():
        full = pd.read_csv(FULL_NB201_DIR / file)
        key = "arch_str" if "arch_str" in full else "ArchitectureString"
        assert full[key].tolist() == table["arch_str"].tolist(), file
        for column in columns:
            assert (full[column] - table[column]).abs().max() <= 0.5 * 10**-DECIMALS + 1e-9, column


def test_search_on_the_bundled_table_by_name(cli, tmp_path):
    out = tmp_path / "run"
    code, stdout, _ = cli("search", "--space", "nb201", "--benchmark", "nb201", "--budget", "5", "--out", str(out))
    assert code == 0, stdout
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) >= 5 and trials["valid_accuracy"].notna().all()
    assert cli("search", "--resume", str(out), "--budget", "8")[0] == 0
