"""The recurring-incident detector on known event streams."""

from datetime import UTC, datetime, timedelta

from kb.reports.recurring import detect, poisson_tail

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def events(kind, key, times):
    return [(kind, key, key, t, f"{key}-{i}") for i, t in enumerate(times)]


def test_poisson_tail_matches_known_values():
    assert poisson_tail(0, 2.0) == 1.0
    assert abs(poisson_tail(1, 2.0) - (1 - 0.1353352832)) < 1e-9
    assert abs(poisson_tail(5, 1.0) - 0.0036598468) < 1e-9


def test_a_spike_above_an_items_own_baseline_is_flagged():
    steady = [NOW - timedelta(days=d, hours=3) for d in range(1, 15)]  # about one a day
    spike = [NOW - timedelta(hours=h) for h in (1, 2, 3, 4, 5, 6, 7)]
    alerts = detect(events("service", "printing", steady + spike), NOW)
    assert [(a.key, a.count) for a in alerts] == [("printing", 7)]
    assert alerts[0].baseline == 1.0 and len(alerts[0].refs) == 7


def test_a_busy_item_at_its_usual_level_is_not_flagged():
    usual = [NOW - timedelta(days=d, hours=h) for d in range(0, 15) for h in range(1, 11)]
    assert detect(events("service", "email", usual), NOW) == []


def test_a_new_item_needs_a_real_cluster():
    recent = [NOW - timedelta(hours=h) for h in range(1, 6)]
    assert detect(events("node", "printer/escalate", recent[:2]), NOW) == []
    assert detect(events("node", "printer/escalate", recent[:4]), NOW) == []  # p = 0.0018
    assert [a.count for a in detect(events("node", "printer/escalate", recent), NOW)] == [5]


def test_events_outside_the_horizon_are_ignored():
    old = [NOW - timedelta(days=40, hours=h) for h in range(10)]
    assert detect(events("tree", "vpn", old), NOW) == []
