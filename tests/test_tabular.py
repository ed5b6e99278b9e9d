import pytest

from nasbench.errors import CandidateFailed, DataError
from nasbench.evaluators.tabular import TabularEvaluator
from nasbench.search_spaces.nb201 import NB201Cell, NB201Space
from nasbench.trial import Budget

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


def test_index_6111_is_the_best_cell(nb201_table):
    """../shared/data/nb201/README.md: best valid 91.607 at index 6111, CIFAR-10 test 94.373."""
    space = NB201Space()
    best = max(nb201_table.keys(), key=lambda k: nb201_table(space.decode(k), Budget())["valid_accuracy"])
    assert best == BEST
    metrics = nb201_table(space.decode(best), Budget())
    assert metrics["valid_accuracy"] == pytest.approx(91.607, abs=1e-3)
    assert metrics["test_accuracy"] == pytest.approx(94.373, abs=1e-3)
    assert metrics["train_seconds"] > 0
    assert len(nb201_table.keys()) == 15625


def test_columns_chosen_by_name_from_a_single_csv(nb201_dir):
    table = TabularEvaluator(
        NB201Space(), nb201_dir / "test_200ep_seedavg_3datasets.csv", {"acc": "CIFAR100TestAccuracy200Epochs"}
    )
    metrics = table(NB201Space().decode(BEST), Budget())
    assert list(metrics) == ["acc"] and 70 < metrics["acc"] < 75


def test_missing_and_malformed_tables(tmp_path, nb201_dir):
    space = NB201Space()
    with pytest.raises(DataError, match="does not exist"):
        TabularEvaluator(space, tmp_path / "nope.csv")
    with pytest.raises(DataError, match="holds no .csv"):
        TabularEvaluator(space, tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text('arch_str,valid-accuracy\n"unterminated,1\n')
    with pytest.raises(DataError):
        TabularEvaluator(space, bad)
    bad.write_text("arch_str,valid-accuracy\n|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,high\n")
    with pytest.raises(DataError, match="malformed"):
        TabularEvaluator(space, bad, {"valid_accuracy": "valid-accuracy"})
    with pytest.raises(DataError, match="no benchmark table .* has a column 'valid-accuracy'"):
        TabularEvaluator(space, nb201_dir / "test_200ep_seedavg_3datasets.csv", {"v": "valid-accuracy"})
    other = tmp_path / "other.csv"
    other.write_text("arch,valid-accuracy\nresnet18,90\n")
    with pytest.raises(DataError, match="holds 'resnet18', not an architecture of the 'nb201' space"):
        TabularEvaluator(space, other, {"valid_accuracy": "valid-accuracy"})
    good = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    other.write_text(f"arch,valid-accuracy\n{good},90\n{good.replace('none~2', 'bogus~2')},91\n")
    with pytest.raises(
        DataError, match="not an architecture of the 'nb201' space"
    ):  # every row is checked, not the first
        TabularEvaluator(space, other, {"valid_accuracy": "valid-accuracy"})


def test_the_search_table_alone_serves_the_default_metrics_it_has(nb201_dir):
    """A single CSV without the reported-only columns (test accuracy, time) still serves the search signal."""
    table = TabularEvaluator(NB201Space(), nb201_dir / "cifar10_valid_200ep_seedavg.csv")
    assert table.metric_names() == ("valid_accuracy", "train_seconds")
    assert table(NB201Space().decode(BEST), Budget())["valid_accuracy"] > 91
    with pytest.raises(DataError, match="has a column 'CIFAR10TestAccuracy200Epochs'"):  # asked for by name: required
        TabularEvaluator(
            NB201Space(),
            nb201_dir / "cifar10_valid_200ep_seedavg.csv",
            {"test_accuracy": "CIFAR10TestAccuracy200Epochs"},
        )


def test_unknown_architecture_fails_the_candidate(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("arch_str,valid-accuracy\n|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,10\n")
    evaluator = TabularEvaluator(NB201Space(), table, {"valid_accuracy": "valid-accuracy"})
    with pytest.raises(CandidateFailed, match="not in the benchmark table"):
        evaluator(NB201Cell(("skip_connect",) * 6), Budget())
