"""``novaevo scan``, ``info``, ``dtc``, ``freeze``, ``readiness``, ``mode06``: asking a car
through an ELM327 adapter (or ``--sim``), for people (Rich tables) and scripts (``--json``).

Each command builds one plain document from the client's answers; ``--json`` prints it,
otherwise it is drawn as tables, so both always hold the same data. The connection
options and the plumbing are in :mod:`obdcore.cli.connect`; the exit codes are those of
every ``novaevo`` command (:class:`obdcore.errors.ExitCode`).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from typing import Annotated

import typer

from obdcore.cli.connect import (
    EXIT_CODES_HELP,
    EXIT_INTERRUPTED,
    CarTarget,
    JsonOption,
    UnitsOption,
    car_command,
    console,
    fail,
    print_json,
    running,
)
from obdcore.cli.replay import _value_text
from obdcore.cli.stream import short_number
from obdcore.io.transports.discovery import serial_ports

app = typer.Typer()

DTC_KINDS = ("stored", "pending", "permanent")  # obdcore.reports.DTC_KINDS


# ============================================================================ scan


@app.command(epilog=EXIT_CODES_HELP)
def scan(
    timeout: Annotated[
        float,
        typer.Option(
            metavar="SECONDS", min=0.5, help="How long to listen for Bluetooth LE dongles."
        ),
    ] = 5.0,
    no_ble: Annotated[bool, typer.Option("--no-ble", help="Serial ports only.")] = False,
    as_json: JsonOption = False,
) -> None:
    """List serial ports (marking those that look like OBD adapters) and Bluetooth LE
    dongles nearby: what to pass as --device."""
    running("scan")
    try:
        ports = [
            {"device": p.device, "description": p.description, "chip": p.chip, "adapter": p.adapter}
            for p in serial_ports()
        ]
        dongles, ble_problem = ([], "skipped (--no-ble)") if no_ble else _ble_dongles(timeout)
    except KeyboardInterrupt:
        fail("interrupted", EXIT_INTERRUPTED)
    document = {"serial": ports, "ble": dongles, "ble_problem": ble_problem}
    _show(document, as_json, _print_scan)


def _ble_dongles(timeout: float) -> tuple[list[dict], str | None]:
    """BLE dongles heard within ``timeout`` seconds, and why there are none when BLE
    cannot be used here (the transport missing, no Bluetooth adapter, no permission)."""
    try:  # import_module, not `from ... import`: it honours a test's stand-in module
        ble = importlib.import_module("obdcore.io.transports.ble")
    except ImportError:
        return [], "this installation has no Bluetooth LE transport"
    from rich.console import Console

    from obdcore.errors import LinkError

    try:
        from bleak.exc import BleakError
    except ImportError:  # pragma: no cover - bleak is a dependency
        BleakError = LinkError  # noqa: N806
    try:
        with Console(stderr=True).status(f"Listening for Bluetooth LE dongles ({timeout:g} s)…"):
            found = asyncio.run(_discover(ble, timeout))
    except (LinkError, BleakError, OSError) as exc:  # Bluetooth off, absent or forbidden
        return [], str(exc).strip() or type(exc).__name__
    return [{"name": d.name, "address": d.address, "rssi": d.rssi} for d in found], None


async def _discover(ble, timeout: float) -> list:
    found = ble.discover(timeout=timeout)
    return list(await found if inspect.isawaitable(found) else found)


def _print_scan(document: dict) -> None:
    from rich.table import Table

    out = console()
    if document["serial"]:
        table = Table(title="Serial ports")
        for column in ("device", "looks like an adapter", "description"):
            table.add_column(column)
        for port in document["serial"]:
            mark = f"[green]yes ({port['chip']})[/]" if port["adapter"] else "no"
            table.add_row(port["device"], mark, port["description"])
        out.print(table)
    else:
        out.print("No serial ports found.")
    if document["ble_problem"]:
        out.print(f"Bluetooth LE: {document['ble_problem']}", markup=False)
    elif document["ble"]:
        table = Table(title="Bluetooth LE dongles")
        for column in ("name", "address", "signal", "use"):
            table.add_column(column)
        for dongle in document["ble"]:
            table.add_row(
                dongle["name"] or "?",
                dongle["address"],
                f"{dongle['rssi']} dBm",
                f"--device ble://{dongle['address']}",
            )
        out.print(table)
    else:
        out.print("No Bluetooth LE dongle heard.")


# ============================================================================ info


@app.command(epilog=EXIT_CODES_HELP)
@car_command
def info(target: CarTarget, as_json: JsonOption = False) -> None:
    """Show the adapter (identity, clone or not), the car's protocol, its ECUs, the VIN
    and what it says offline (maker, model year, plant), each ECU's calibration ids and
    verification numbers (CVN), the battery voltage and the link's latency."""

    async def read(car) -> dict:
        from obdcore import reports

        calibrations = []
        for request in ("0904", "0906"):  # calibration ids, then their CVNs
            response = await car.request(request, answers=len(car.ecus) or None)
            calibrations.extend(response.readings)
        return reports.vehicle_document(
            car, vin=await car.vin(), voltage=await car.voltage(), calibrations=calibrations
        )

    description = target.run(read, doing="Identifying adapter and car")
    _show(description, as_json, _print_info)


def _print_info(description: dict) -> None:
    from rich.table import Table

    adapter = description["adapter"]
    clone = (
        f"[yellow]yes: lacks {', '.join(adapter['missing_commands'])}[/]"
        if adapter["clone"]
        else "no"
    )
    protocol = description["protocol"]
    rows = [
        ("device", description["device"]),
        ("adapter", adapter["identity"] or "?"),
        ("adapter device", adapter["device"] or "-"),
        ("STN chip", adapter["stn"] or "-"),
        ("clone", clone),
        ("protocol", f"{protocol}: {description['protocol_name']}" if protocol else "-"),
        ("ECUs", "\n".join(ecu["name"] for ecu in description["ecus"]) or "-"),
        ("VIN", description["vin"] or "not reported"),
        *_vin_rows(description["vin_decoded"]),
        *_calibration_rows(description["calibrations"]),
        ("battery", _unit(description["voltage"], "V", "unreadable")),
        ("latency", _unit(description["latency_ms"], "ms", "-")),
    ]
    table = Table(title=f"Car on {description['device']}", show_header=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for name, value in rows:
        table.add_row(name, value)
    console().print(table)


def _vin_rows(decoded: dict | None) -> list[tuple[str, str]]:
    """What the VIN says, for people (nothing when there is no readable VIN)."""
    if decoded is None:
        return []
    years = decoded["model_years"]
    year = str(years[0]) if years else "not encoded"
    if len(years) > 1:
        year += f" (or {', '.join(map(str, years[1:]))})"
    maker = decoded["make"] or f"unknown maker code {decoded['wmi']}"
    if decoded["country"]:
        maker += f", {decoded['country']}"
    check = "valid" if decoded["check_digit_ok"] else "no match (usual outside North America)"
    return [
        ("  maker", maker),
        ("  model year", year),
        ("  plant", decoded["plant"] or "not known offline"),
        ("  check digit", check),
    ]


def _calibration_rows(calibrations: list[dict]) -> list[tuple[str, str]]:
    """One row per ECU: each calibration id with its CVN."""
    rows = []
    for entry in calibrations:
        ids, cvns = entry["calibration_ids"], entry["cvns"]
        pairs = [
            f"{ids[i] if i < len(ids) else '?'}  CVN {cvns[i] if i < len(cvns) else '-'}"
            for i in range(max(len(ids), len(cvns)))
        ]
        rows.append((f"calibration {entry['ecu']}", "\n".join(pairs) or "-"))
    return rows or [("calibration", "not reported")]


def _unit(value, unit: str, missing: str) -> str:
    return missing if value is None else f"{value:.1f} {unit}"


# ============================================================================ dtc


@app.command(epilog=EXIT_CODES_HELP)
@car_command
def dtc(
    target: CarTarget,
    clear: Annotated[
        bool,
        typer.Option(
            "--clear", help="Clear codes, freeze frames and readiness on every ECU (asks first)."
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before clearing.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Show stored, pending and permanent trouble codes per ECU, with descriptions; or
    clear them (--clear) and show what each ECU did."""
    if not clear:
        document = target.run(_read_codes, doing="Reading trouble codes")
        _show(document, as_json, _print_codes)
        return
    if not yes:  # asked before connecting: nothing is touched when the answer is no
        typer.confirm(
            f"Clear the trouble codes, freeze frames and readiness monitors of "
            f"every ECU on {target.describe()}?",
            abort=True,
            err=True,
        )
    document = target.run(_clear_codes, doing="Clearing trouble codes")
    _show(document, as_json, _print_clearing)


def _show(document: dict, as_json: bool, draw) -> None:
    """Prints ``document`` as JSON, or draws it for people with ``draw``."""
    if as_json:
        print_json(document)
    else:
        draw(document)


async def _read_codes(car) -> dict:
    from obdcore import reports

    return reports.codes_document(await car.read_dtcs(), car.ecus, car.protocol)


async def _clear_codes(car) -> dict:
    before = await _read_codes(car)
    acknowledged = await car.clear_dtcs()
    after = await _read_codes(car)
    from obdcore import reports

    return reports.clearing_document(acknowledged, before, after)


def _print_codes(document: dict) -> None:
    from rich.table import Table

    table = Table(title="Trouble codes")
    for column in ("ECU", "kind", "code", "description"):
        table.add_column(column)
    for entry in document["ecus"].values():
        rows = [
            (kind, c["code"], c["description"] or "") for kind in DTC_KINDS for c in entry[kind]
        ]
        for index, (kind, code, description) in enumerate(rows or [("", "none", "")]):
            table.add_row(
                entry["name"] if index == 0 else "",
                kind,
                code,
                description,
                end_section=index == max(len(rows), 1) - 1,
            )
    console().print(table)


def _print_clearing(document: dict) -> None:
    from rich.table import Table

    table = Table(title="Clearing trouble codes")
    for column in ("ECU", "result", "codes before", "codes now"):
        table.add_column(column)
    for ecu, ok in document["cleared"].items():
        before = document["before"]["ecus"].get(ecu, {})
        after = document["after"]["ecus"].get(ecu, {})
        table.add_row(
            before.get("name", ecu),
            "[green]cleared[/]" if ok else "[red]refused[/]",
            _code_list(before),
            _code_list(after),
        )
    out = console()
    out.print(table)
    if any(entry["permanent"] for entry in document["after"]["ecus"].values()):
        out.print("Permanent codes stay until the ECU sees the fault gone over a drive cycle.")


def _code_list(entry: dict) -> str:
    codes = [f"{c['code']} ({kind})" for kind in DTC_KINDS for c in entry.get(kind, [])]
    return ", ".join(codes) or "none"


# ============================================================================ freeze


@app.command(epilog=EXIT_CODES_HELP)
@car_command
def freeze(
    target: CarTarget,
    frame: Annotated[
        int, typer.Option(metavar="N", min=0, max=255, help="Which freeze frame (0: the first).")
    ] = 0,
    units: UnitsOption = "metric",
    as_json: JsonOption = False,
) -> None:
    """Show what each ECU recorded (a freeze frame) when it set a trouble code."""

    async def read(car) -> dict:
        from obdcore import reports

        frames = await car.freeze_frame(frame)
        return reports.freeze_frames_document(frames, frame, car.protocol, units)

    document = target.run(read, doing=f"Reading freeze frame {frame}")
    _show(document, as_json, _print_frames)


def _print_frames(document: dict) -> None:
    from rich.table import Table

    out = console()
    if not document["stored"]:
        which = "" if document["frame"] == 0 else f" {document['frame']}"
        out.print(
            f"No freeze frame{which} stored: no ECU has recorded one (none is kept until a "
            "trouble code sets it, and clearing the codes erases it)."
        )
    for entry in document["ecus"].values():
        cause = entry["dtc"] or "no code"
        if entry["description"]:
            cause += f" ({entry['description']})"
        table = Table(title=f"Freeze frame {document['frame']} of {entry['name']}: set by {cause}")
        for column in ("reading", "value", "unit"):
            table.add_column(column)
        for reading in entry["readings"]:
            table.add_row(reading["name"], shown(reading["value"]), reading["unit"])
        out.print(table)


def shown(value) -> str:
    """A plain (JSON) value as people read it: a monitor status as its MIL, codes and
    incomplete monitors, a list without its absent items (fuel system 2 when the car has
    one), None as a dash; numbers as the decoder's text."""
    if value is None:
        return "-"
    if isinstance(value, dict) and "monitors" in value:
        from obdcore.reports import monitor_status_text

        return monitor_status_text(value)
    if isinstance(value, list):
        present = [shown(item) for item in value if item is not None]
        return ", ".join(present) or "-"
    return _value_text(value)


# ============================================================================ readiness


@app.command(epilog=EXIT_CODES_HELP)
@car_command
def readiness(
    target: CarTarget,
    model_year: Annotated[
        int | None,
        typer.Option(
            metavar="YEAR",
            min=1980,
            max=2100,
            help="The car's model year, for the inspection verdict (default: from the VIN).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Show per ECU the check-engine lamp (MIL), the code count and each emission monitor:
    available, complete since the codes were cleared, and this drive cycle; then the
    verdict of an emissions inspection's OBD check (model year 2001 and newer: at most one
    monitor incomplete, 1996-2000: two; MIL on fails) and the drive that completes each
    incomplete monitor."""

    async def read(car) -> dict:
        from obdcore import reports

        year, year_from = model_year, "given"
        if year is None:
            year, year_from = _year_from_vin(await car.vin())
        document = reports.readiness_document(await car.readiness(), car.protocol, year)
        document["inspection"]["model_year_from"] = year_from
        return document

    document = target.run(read, doing="Reading monitor status")
    _show(document, as_json, _print_readiness)


def _year_from_vin(vin: str | None) -> tuple[int | None, str]:
    """The model year the VIN says and where it came from (``vin``, ``unknown``)."""
    from obdcore import vin as vin_codec

    try:
        year = vin_codec.decode(vin).model_year if vin else None
    except vin_codec.VinError:
        year = None
    return year, "vin" if year is not None else "unknown"


def _print_readiness(document: dict) -> None:
    from rich.table import Table

    out = console()
    for entry in document["ecus"].values():
        lamp = "[bold red]MIL on[/]" if entry["mil"] else "[green]MIL off[/]"
        table = Table(
            title=f"{entry['name']}: {lamp}, {entry['dtc_count']} DTC, {entry['ignition']} ignition"
        )
        for column in ("monitor", "available", "since codes cleared", "this drive cycle"):
            table.add_column(column)
        for monitor in entry["monitors"]:
            table.add_row(
                monitor["name"],
                "yes" if monitor["available"] else "no",
                _completion(monitor["available"], monitor["complete"]),
                _cycle_text(monitor["this_cycle"], entry["this_cycle_reported"]),
            )
        out.print(table)
    _print_inspection(document["inspection"])


_VERDICT_STYLE = {"pass": "bold green", "fail": "bold red", "not ready": "bold yellow"}


def _print_inspection(inspection: dict) -> None:
    """The inspection verdict, why, and the drive that completes each incomplete monitor."""
    from rich.markup import escape

    out = console()
    verdict = inspection["verdict"]
    style = _VERDICT_STYLE.get(verdict, "bold")
    year = inspection["model_year"]
    known = f"model year {year}" if year is not None else "model year unknown"
    if inspection.get("model_year_from") == "vin":
        known += " (from the VIN; --model-year to correct)"
    out.print(f"Emissions inspection (OBD check): [{style}]{verdict.upper()}[/] · {known}")
    for reason in inspection["reasons"]:
        out.print(f"  - {escape(reason)}")
    if inspection["incomplete"]:
        out.print("Incomplete monitors, and the drive that usually completes each:")
        for monitor in inspection["incomplete"]:
            drive = monitor["drive"] or "see the service manual"
            out.print(f"  {monitor['name']}: {escape(drive)}")
        out.print(f"[dim]Drives: {escape(inspection['drives_source'])}.[/]")
    out.print(f"[dim]Rule: {escape(inspection['rule'])}.[/]")


def _completion(applies: bool, complete: bool) -> str:
    if not applies:
        return "-"
    return "[green]complete[/]" if complete else "[yellow]incomplete[/]"


def _cycle_text(cycle: dict | None, reported: bool) -> str:
    if cycle is None:
        return "not reported" if not reported else "-"
    return _completion(cycle["enabled"], cycle["complete"]) if cycle["enabled"] else "disabled"


# ============================================================================ mode06


@app.command(epilog=EXIT_CODES_HELP)
@car_command
def mode06(target: CarTarget, units: UnitsOption = "metric", as_json: JsonOption = False) -> None:
    """Show the on-board monitor test results (Mode 06) per ECU and monitor: value,
    limits, unit and result: pass, FAIL, no result (the test has not run, or reported
    its "no value" 0xFFFF) or no limit (the limits span the whole range)."""

    async def read(car) -> dict:
        from obdcore import reports

        return reports.mode06_document(await car.mode06(), car.protocol, units)

    document = target.run(read, doing="Reading on-board test results")
    _show(document, as_json, _print_tests)


_RESULT_TEXT = {
    "pass": "[green]pass[/]",
    "fail": "[bold red]FAIL[/]",
    "no result": "[dim]no result[/]",
    "no limit": "[dim]no limit[/]",
}


def monitor_title(name: str) -> str:
    """A Mode 06 name as people read it: ``MONITOR_MISFIRE_CYLINDER_2`` -> ``MISFIRE
    CYLINDER 2`` (words, so a narrow terminal wraps it instead of cutting it)."""
    return name.removeprefix("MONITOR_").replace("_", " ")


NARROW = 72  # below this many columns Mode 06 is a list, not a table


def _number(value) -> str:
    return short_number(value, width=8, digits=5)


def _with_unit(value, unit: str) -> str:
    text = _number(value)
    return text if unit in ("", "count") or value is None else f"{text} {unit}"


def _limits(test: dict) -> str:
    return f"{_number(test['min'])} - {_number(test['max'])}"


def _print_test_list(entry: dict) -> None:
    """Mode 06 for a narrow terminal: a heading per monitor, a line per test."""
    out = console()
    out.print(f"[bold]On-board tests of {entry['name']}[/]")
    previous = None
    for test in entry["tests"]:
        if test["monitor"] != previous:
            out.print(monitor_title(test["monitor"]), style="bold", markup=False)
            previous = test["monitor"]
        value = _with_unit(test["value"], test["unit"])
        result = _RESULT_TEXT[test["result"]]
        pad = " " * (len("no result") - len(test["result"]))
        out.print(
            f"  {result}{pad} {monitor_title(test['test'])}: {value}, limits "
            + _limits(test).replace(" - ", "\u2013")  # one word: never split
        )


def _print_tests(document: dict) -> None:
    from rich import box
    from rich.table import Table

    out = console()
    if not document["ecus"]:
        out.print("No ECU reports on-board test results (Mode 06 needs a CAN car).")
    for entry in document["ecus"].values():
        if out.width < NARROW:
            _print_test_list(entry)
            continue
        table = Table(
            title=f"On-board tests of {entry['name']}",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
        )
        for column in ("monitor", "test", "value", "limits", "result"):
            table.add_column(
                column,
                justify="right" if column in ("value", "limits") else "left",
                no_wrap=column in ("value", "limits", "result"),
            )
        previous = None
        for test in entry["tests"]:
            monitor = monitor_title(test["monitor"]) if test["monitor"] != previous else ""
            previous = test["monitor"]
            table.add_row(
                monitor,
                monitor_title(test["test"]),
                _with_unit(test["value"], test["unit"]),
                _limits(test),
                _RESULT_TEXT[test["result"]],
            )
        out.print(table)
