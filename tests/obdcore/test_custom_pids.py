"""Custom PIDs: Torque Pro's CSV export and its equations, the PID table's own format,
typed errors with line numbers, and a simulated car answering a manufacturer PID."""

import json
import math

import pytest
from typer.testing import CliRunner

from novaevo.cli import app
from obdcore import Decoder, FormulaError, PidTable, TableError, compile_formula
from obdcore.errors import ExitCode
from obdcore.protocol.custom_pids import load_pids, parse_pid_text
from obdcore.protocol.isotp import can_answer_lines

runner = CliRunner()

# Rows as Torque Pro exports them (a header line, then name, short name, mode and PID,
# equation, min, max, unit, header), for an electric car's battery ECU.
TORQUE = """Name,ShortName,ModeAndPID,Equation,Min Value,Max Value,Units,Header
Battery Current,Batt Current,0x220101,((Signed(K)*256)+L)/10,-230,230,A,7E4
Battery DC Voltage,Batt Volts,0x220101,((m<8)+n)/10,268.8,403.2,V,7E4
Main relay,BMS Relay,0x220101,{j:0},0,1,,7E4
Charged,CEC,0x220101,((am<24)+(an<16)+(ao<8)+ap)/10,0,1000000,kWh,7E4
Cell spread,V Diff,220105,AB^2/100,0,5,V,7E4
"""


def _decode(table: PidTable, payload: bytes, ecu: int = 0x7EC) -> dict:
    response = Decoder("6", headers=True, table=table).decode(
        "\r".join(can_answer_lines(ecu, payload))
    )
    assert not response.notices, response.notices
    return {r.name: r.value for r in response.readings}


def test_a_torque_export_decodes_what_torque_shows():
    table = PidTable.standard().extended(parse_pid_text(TORQUE))
    data = bytearray(45)
    data[9] = 0b0000_0001  # j: relay closed
    data[10], data[11] = 0xFF, 0x38  # K, L: signed -200 -> -20.0 A
    data[12], data[13] = 0x0E, 0x10  # m, n: 3600 -> 360.0 V
    data[38:42] = (123456).to_bytes(4, "big")  # am..ap
    values = _decode(table, b"\x62\x01\x01" + bytes(data))
    assert values == {"BATT_CURRENT": -20.0, "BATT_VOLTS": 360.0, "BMS_RELAY": 1.0, "CEC": 12345.6}
    fields = {f.name: f for f in table.fields(0x22, 0x0101)}
    assert {f.size for f in fields.values()} == {42}  # up to ap, the furthest byte read
    assert fields["BATT_VOLTS"].header == "7E4" and fields["BATT_VOLTS"].unit == "V"
    assert fields["BATT_VOLTS"].description == "Battery DC Voltage"
    spread = table.by_name("V_DIFF")
    assert spread.compiled.evaluate(bytes(27) + b"\x0a") == 1.0  # AB^2/100: ^ is a power


def test_a_torque_export_without_a_header_line_and_a_short_mode():
    fields = parse_pid_text("Aux battery SOC,Aux Batt SOC,2102,X,0,100,%,7E2\n")
    assert [(f.mode, f.pid, f.name, f.size) for f in fields] == [(0x21, 0x02, "AUX_BATT_SOC", 24)]


@pytest.mark.parametrize(
    ("equation", "data", "value"),
    [
        ("a*256+b", b"\x01\x02", 258.0),  # lower-case bytes
        ("SIGNED(A)", b"\x80", -128.0),
        ("Signed(A)*256+B", b"\xff\x00", -256.0),
        ("{B:7}+{b:0}", b"\x00\x81", 2.0),
        ("(A<8)+B", b"\x01\x02", 258.0),  # Torque's < is a shift
        ("A>4", b"\xf0", 15.0),
        ("2^A", b"\x03", 8.0),
        ("LOG10(A)", b"\x64", 2.0),
        ("ABS(A-100)", b"\x0a", 90.0),
        ("-A+B*2", b"\x01\x02", 3.0),
        ("BB", bytes(54), 0.0),  # Torque goes past AZ
    ],
)
def test_torque_equations(equation, data, value):
    assert compile_formula(equation, dialect="torque").evaluate(data) == value


@pytest.mark.parametrize(
    ("equation", "why"),
    [
        ("val{Battery Current}*2", "another sensor"),
        ("[0d]*2", "another sensor"),
        ("(Signed(BD)*256))+BE", "makes no sense"),  # seen in a real export
        ("A+", "ends too early"),
        ("__import__('os').system('x')", "unknown function"),
        ("A.real", "makes no sense"),
        ("(" * 60 + "A" + ")" * 60, "nests deeper"),
        ("{A:70}", "tests bit"),
        ("SIGNED()", "arguments"),
        ("12", "reads no byte"),
    ],
)
def test_bad_torque_equations_are_refused(equation, why):
    with pytest.raises(FormulaError, match=why):
        compile_formula(equation, dialect="torque")


def test_overflows_and_bad_arguments_are_nan_not_exceptions():
    assert math.isnan(compile_formula("A^B^B", dialect="torque").evaluate(b"\xff\xff"))
    assert math.isnan(compile_formula("A<B", dialect="torque").evaluate(b"\x01\xff"))
    assert math.isnan(compile_formula("LOG10(A)", dialect="torque").evaluate(b"\x00"))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("Speed,SPD,0D,A,0,255,km/h,", "line 2: mode and PID"),
        ("Speed,SPD,2201,A,0,255,km/h,", "line 2: mode and PID"),
        ("Speed,SPD,7F0D,A,0,255,km/h,", "line 2: mode 7F"),
        ("Speed,SPD,010D,A+,0,255,km/h,", "line 2: formula"),
        ("Speed,SPD,010D,A,zero,255,km/h,", "line 2: min 'zero'"),
        ("Speed,SPD,010D,A,0,255,km/h,7E", "line 2: header"),
        ("Speed,SPD", "line 2: 2 columns"),
        ("Speed,%%%,010D,A,0,255,km/h,", "line 2: name"),
    ],
)
def test_bad_torque_rows_are_typed_errors_with_their_line(row, message):
    with pytest.raises(TableError, match=message):
        parse_pid_text("Name,ShortName,ModeAndPID,Equation,Min,Max,Units,Header\n" + row + "\n")


def test_the_pid_table_format_and_file_errors(tmp_path):
    native = tmp_path / "mine.csv"
    native.write_text(
        "mode,pid,name,bytes,formula,unit,min,max,description,header\n"
        "22,1310,OIL_TEMP,1,A-40,°C,-40,215,Engine oil,7E0\n"
    )
    table = load_pids([native])
    assert table.by_name("OIL_TEMP").mode == 0x22  # the user's OIL_TEMP, not Mode 01 5C
    assert table.fields(1, 0x5C) == ()
    bad = tmp_path / "bad.csv"
    bad.write_text(TORQUE + "Broken,BRK,220101,A*,0,1,,7E4\n")
    with pytest.raises(TableError, match=r"bad\.csv: line 7: formula"):
        load_pids([bad])
    with pytest.raises(TableError, match="cannot read"):
        load_pids([tmp_path / "missing.csv"])
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00")
    with pytest.raises(TableError, match="not a text"):
        load_pids([binary])


OIL = "Engine Oil Temperature,Oil Temp,221310,A-40,-40,215,C,7E0\n"


def _live(*args, env=None) -> dict:
    result = runner.invoke(
        app,
        ["live", "--sim", "--sim-timing", "fast", "--duration", "2", "--json", *args],
        env=env,
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["pids"]


def test_live_polls_a_manufacturer_pid_from_a_pids_file(tmp_path):
    path = tmp_path / "toyota.csv"
    path.write_text(OIL)
    pids = _live("--pids", str(path), "--pid", "OIL_TEMP,COOLANT_TEMP", "--rate", "OIL_TEMP=5")
    oil, coolant = pids["OIL_TEMP"], pids["COOLANT_TEMP"]
    assert oil["samples"] >= 2 and oil["unit"] == "°C" and oil["ecu"] == "7E8"
    assert abs(oil["value"] - coolant["value"] - 4) <= 1  # the engine ECU: coolant + 4 degC


def test_the_data_directory_pids_are_loaded_by_every_car_command(tmp_path):
    (tmp_path / "pids").mkdir()
    (tmp_path / "pids" / "oil.csv").write_text(OIL)
    pids = _live("--pid", "OIL_TEMP", env={"NOVAEVO_DATA_DIR": str(tmp_path)})
    assert pids["OIL_TEMP"]["samples"] >= 1


def test_a_bad_pids_file_stops_the_command_before_connecting(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(OIL + "Broken,BRK,22131,A,0,1,,7E0\n")
    result = runner.invoke(app, ["live", "--sim", "--pids", str(path)])
    assert result.exit_code == ExitCode.INPUT_FILE
    assert "bad.csv: line 2: mode and PID" in result.output


def test_replay_and_pids_take_the_custom_pids_too(tmp_path):
    path = tmp_path / "oil.csv"
    path.write_text(OIL)
    transcript = tmp_path / "session.txt"
    transcript.write_bytes(b">ATH1\rOK\r\r>221310\r7E8 04 62 13 10 7D\r\r>")
    result = runner.invoke(app, ["replay", "--json", "--pids", str(path), str(transcript)])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)
    assert (row["name"], row["value"], row["unit"], row["ecu"]) == ("OIL_TEMP", 85.0, "°C", "7E8")
    listed = runner.invoke(app, ["pids", "--pids", str(path)], env={"COLUMNS": "200"})
    assert "| 1310 |" in listed.stdout.replace("│", "|") and "OIL_TEMP" in listed.stdout
    missing = runner.invoke(app, ["replay", "--pids", str(tmp_path / "no.csv")])
    assert missing.exit_code == ExitCode.INPUT_FILE and "cannot read" in missing.output


def test_log_writes_a_custom_pid_in_its_own_wide_column(tmp_path):
    pids, output = tmp_path / "oil.csv", tmp_path / "drive.csv"
    pids.write_text(OIL)
    result = runner.invoke(
        app,
        [
            "log",
            "--sim",
            "--sim-timing",
            "fast",
            "--pids",
            str(pids),
            "-o",
            str(output),
            "--pid",
            "OIL_TEMP,RPM",
            "--rate",
            "OIL_TEMP=5",
            "--duration",
            "1.5",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in output.read_text().splitlines() if not line.startswith("#")]
    assert lines[0] == "time,elapsed_s,ecu,OIL_TEMP (°C),RPM (rpm)"
    oil = [line.split(",")[3] for line in lines[1:] if line.split(",")[3]]
    assert oil and all(float(value) > 0 for value in oil)
