"""The labelled-case generator: the vehicle-snapshot shape, determinism, and the fast
in-process path agreeing with the real pty + obdcore client path."""

from __future__ import annotations

import asyncio
import json

import pytest

from firmware_sim.cases import (
    GUIDED_TEST,
    LocalReader,
    _mode06_rows,
    generate_case,
    generate_case_over_pty,
    main,
    plan_case,
)
from firmware_sim.drive import IDLE_ONLY
from firmware_sim.ecu import Car
from firmware_sim.errors import ProfileError
from firmware_sim.faults import parse_fault
from firmware_sim.library import LIBRARY
from firmware_sim.profiles import engine_profile

PHASES = [phase for phase, _, seconds, _ in GUIDED_TEST if seconds]


def _full_seed(profile: str | None = None, faulty: bool = True) -> int:
    """The first seed whose plan is a full case (with or without faults)."""
    return next(
        s
        for s in range(500)
        if plan_case(s, profile).variant == "full"
        and bool(plan_case(s, profile).faults) == faulty
        and not plan_case(s, profile).cleared
    )


def test_a_case_has_the_contract_shape() -> None:
    case = generate_case(_full_seed("small_petrol"), "small_petrol")
    snapshot = case["snapshot"]
    assert snapshot["schema_version"] == 1
    assert set(case) == {"case_id", "seed", "profile", "snapshot", "truth"}
    assert {e["address"] for e in snapshot["ecus"]} == {"7E8", "7E9"}
    assert list(snapshot["phases"]) == PHASES
    idle = snapshot["phases"]["idle"]
    assert idle["duration_s"] == 60 and len(idle["t"]) == 60
    assert all(len(v) == 60 for v in idle["series"].values())
    assert 600 < sorted(idle["series"]["RPM"])[30] < 1000
    hold = snapshot["phases"]["hold_2500"]["series"]["RPM"]
    assert 2300 < sorted(hold)[15] < 2700
    assert snapshot["vehicle"]["vin"] and len(snapshot["vehicle"]["vin"]) == 17
    for fault in case["truth"]["faults"]:
        assert fault["id"].split(":")[0] in LIBRARY and 0 <= fault["severity"] <= 1
    json.dumps(case)  # plain JSON


def test_the_same_seed_gives_the_same_case_and_another_seed_another() -> None:
    seed = _full_seed()
    assert generate_case(seed) == generate_case(seed)
    assert generate_case(seed)["snapshot"] != generate_case(seed + 1)["snapshot"]


def _mode06(car: Car) -> dict[str, str]:
    rows = _mode06_rows(asyncio.run(LocalReader(car).mode06()))
    return {f"{row['mid']}/{row['tid']}": row["status"] for row in rows}


def test_mode06_agrees_with_the_codes_and_no_result_is_not_a_pass() -> None:
    car = Car(engine_profile("small_petrol"), [parse_fault("misfire:2@0.8")], 1, IDLE_ONLY)
    car.control("HISTORY 2")
    car.control("WAIT 120 1")
    assert "P0302" in car.truth()["confirmed"]
    statuses = _mode06(car)
    assert statuses["A3/0C"] == "fail"  # cylinder 2, the one with P0302
    assert statuses["A2/0C"] == statuses["A4/0C"] == "pass"
    assert statuses["21/80"] == "pass"  # the catalyst is fine
    car.control("CLEAR")
    car.control("WAIT 5 1")
    statuses = _mode06(car)
    assert statuses["A3/0C"] == statuses["21/80"] == "no_result"  # not run since the clear


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ProfileError, match="small_petrol"):
        plan_case(1, "hovercraft")


def test_the_command_writes_jsonl(tmp_path) -> None:
    out = tmp_path / "cases.jsonl"
    assert main(["-n", "2", "-o", str(out), "--seed", "7"]) == 0
    lines = out.read_text().splitlines()
    assert [json.loads(line)["seed"] for line in lines] == [7, 8]
    assert main(["-n", "1", "-o", str(out), "--profile", "hovercraft"]) == 2
    assert len(out.read_text().splitlines()) == 2  # the old file is left whole


def test_the_pty_path_reads_what_the_fast_path_reads() -> None:
    seed = _full_seed("small_petrol")
    assert generate_case_over_pty(seed, "small_petrol") == generate_case(seed, "small_petrol")


def test_the_sim_cases_command(tmp_path) -> None:
    from typer.testing import CliRunner

    from firmware_sim.cli import cases_app

    out = tmp_path / "c.jsonl"
    result = CliRunner().invoke(cases_app, ["-o", str(out), "-n", "1", "--seed", "3"])
    assert result.exit_code == 0 and json.loads(out.read_text())["seed"] == 3
    result = CliRunner().invoke(cases_app, ["-o", str(out), "--profile", "tractor"])
    assert result.exit_code == 2 and "small_petrol" in result.output
    assert not (tmp_path / "c.jsonl.partial").exists()
