"""bench/choice_rules.py: each rule's choice from stored validation scores, and the scores it
then reads (the benchmark script is imported as a module; it needs only the package)."""

from __future__ import annotations

from conftest import bench_fixture

rules = bench_fixture("choice_rules.py", "rules")


def _validation(ratio_all: float, ratio_last: float) -> dict:
    last = {"0": ratio_last, "0.5": 1.0, "1": 1.2, "series": 1}
    return {"0": ratio_all, "0.5": 1.0, "1": 1.2, "series": 7, "origins": 7, "last_window": last}


def test_a_ratio_between_the_margins_moves_only_the_new_rule(rules):
    got = rules.picks(_validation(0.83, 0.9))
    assert got == {"last": False, "either 0.787": False, "either seen": True}


def test_a_clear_last_window_keeps_the_network_under_every_rule(rules):
    assert all(rules.picks(_validation(1.1, 0.5)).values())
    assert not any(rules.picks(_validation(0.95, 0.9)).values())


def test_one_window_is_chosen_alike_by_every_rule(rules):
    v = {"0": 0.55, "0.5": 1.0, "1": 1.2, "series": 1}
    assert rules.picks(v) == dict.fromkeys(rules.RULES, True)


def test_each_rule_reads_the_part_it_chose(rules):
    row = {
        "file": "f",
        "theta": {"validation": _validation(0.83, 0.9)},
        "scores": {"y": {"forecastr": {"mase": 2.0}, "network": {"mase": 1.0},
                         "average": {"mase": 3.0}}},
    }  # fmt: skip
    d = rules.tally([row], "file")["f"]
    assert d["served"] == [2.0] and d["last"] == [3.0] and d["either seen"] == [1.0]
