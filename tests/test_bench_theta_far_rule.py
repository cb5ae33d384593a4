"""bench/theta_far_rule.py: which stored choices the candidate rule switches to the network."""

from __future__ import annotations

from conftest import bench_fixture

rule = bench_fixture("theta_far_rule.py", "rule")


def _theta(net, avg, alone, weight=0.5):
    return {"weight": weight, "validation": {"0": net, "0.5": avg, "1": alone, "series": 1}}


def test_switches_only_where_theta_is_far_and_the_average_adds_nothing(rule):
    lynx = _theta(0.8715, 0.8727, 1.64)  # the lynx-like series' validation scores
    assert rule.switches(lynx, 1.5) and not rule.switches(lynx, 2.0)
    assert not rule.switches(_theta(0.8715, 0.86, 1.64), 1.5)  # the average helped
    assert not rule.switches(_theta(0.8715, 0.8727, 1.64, weight=0.0), 1.5)  # already alone
    assert not rule.switches(_theta(0.0, 0.1, 0.2), 1.5)  # no ratio to a zero score
    assert not rule.switches({"weight": 0.5, "validation": {"0": 1.0, "series": 1}}, 1.5)
