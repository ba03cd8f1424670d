"""`make cost`: the idle cost per day comes from each environment's endpoint settings."""

from __future__ import annotations

from tools import idle_cost


def test_every_environment_is_priced_from_its_endpoint_settings(capsys):
    assert idle_cost.main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == (
        "dev    1 x ml.m5.large      $2.76/day, $83/month ($0.115/h each in us-east-1; "
        "check your region's price)"
    )
    assert [line.split()[0] for line in lines[1:]] == ["dev", "stage", "prod"]


def test_count_multiplies_and_unknown_types_say_where_to_look(monkeypatch):
    monkeypatch.setattr(idle_cost, "HOURLY_USD", {"ml.m5.large": 0.5})
    assert "$12.00/day" in idle_cost.idle_cost_line("dev")
    monkeypatch.setattr(idle_cost, "HOURLY_USD", {})
    assert "price not in this table" in idle_cost.idle_cost_line("dev")


def test_unknown_environment_is_one_line(capsys):
    assert idle_cost.main(["nope"]) == 1
    assert capsys.readouterr().err.count("\n") == 1
