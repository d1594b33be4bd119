"""The streaming replay: the same rows as decoding each answer on its own, whatever the
piece size; settings inferred from the data; memory that does not grow with the file."""

import json
import subprocess
import sys
import textwrap

import pytest
from typer.testing import CliRunner

from benchmarks.replay_corpus import write_transcript
from novaevo.cli import app
from obdcore.protocol.replay import TranscriptReader, read_transcript, replay
from obdcore.reports import ecu_key, reading_entry

runner = CliRunner()


def _cli_rows(path) -> list[dict]:
    result = runner.invoke(app, ["replay", "--json", str(path)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def _one_by_one_rows(data: bytes) -> list[dict]:
    """What the rows must be: each answer decoded alone (the replay before streaming),
    written by the one serializer of readings."""
    rows = []
    for exchange, response in replay(read_transcript(data)):
        if response is None:
            continue
        for r in response.readings:
            rows.append(
                {"request": exchange.command, **reading_entry(r.name, r.value, r.unit, r.ecu)}
            )
        for n in response.notices:
            notice = {"name": str(n.kind), "value": n.text, "unit": "", "ecu": ecu_key(n.ecu)}
            rows.append({"request": exchange.command, **notice})
    return rows


def _comparable(rows: list[dict]) -> list[dict]:
    return [{k: row[k] for k in ("request", "ecu", "name", "value", "unit")} for row in rows]


@pytest.fixture(scope="module")
def polling_log(tmp_path_factory):
    path = tmp_path_factory.mktemp("replay") / "drive.txt"
    write_transcript(path, 120_000, seed=3)
    return path


def test_streamed_rows_are_those_of_each_answer_decoded_alone(polling_log):
    streamed = _cli_rows(polling_log)
    expected = _one_by_one_rows(polling_log.read_bytes())
    assert len(streamed) > 3000  # enough polling answers for the batch path
    assert {r["name"] for r in expected} >= {"RPM", "VIN", "DTC_STORED", "NO_DATA"}
    assert _comparable(streamed) == _comparable(expected)


@pytest.mark.parametrize("piece", [1, 7, 4096])
def test_the_piece_size_does_not_change_the_rows(polling_log, piece):
    data = polling_log.read_bytes()[:30_000]
    whole, pieces = TranscriptReader(), TranscriptReader()
    expected = _block_rows(whole.feed(data) + whole.close())
    blocks = []
    for i in range(0, len(data), piece):
        blocks += pieces.feed(data[i : i + piece])
    assert _block_rows(blocks + pieces.close()) == expected
    assert pieces.exchanges == whole.exchanges


def _block_rows(blocks) -> list[tuple]:
    rows = []
    for block in blocks:
        for batch, exchanges in block.batches:
            names = batch.names
            rows += [
                (block.commands[e], names[f], v)
                for e, f, v in zip(exchanges, batch.field, batch.value, strict=True)
            ]
        for k, response in block.singles:
            rows += [(block.commands[k], r.name, r.value) for r in response.readings]
    return sorted(rows, key=lambda row: (row[0], row[1], str(row[2])))


def test_headers_and_protocol_are_inferred_when_the_transcript_never_says(tmp_path):
    said, silent = tmp_path / "said.txt", tmp_path / "silent.txt"
    write_transcript(said, 40_000, seed=5)
    write_transcript(silent, 40_000, seed=5, setup=False)
    assert b">AT" not in silent.read_bytes()
    rows = _cli_rows(silent)
    assert {r["ecu"] for r in rows if r["name"] == "RPM"} == {"7E8"}
    said_rows = [r for r in _cli_rows(said) if r["request"] != "0100"]  # set-up only
    assert len(said_rows) > 1000 and rows[: len(said_rows)] == said_rows  # (same bytes: more data)


@pytest.mark.parametrize(
    ("answer", "ecu"),
    [
        (b"18 DA F1 10 04 41 0C 1A F8", "18DAF110"),  # CAN 29-bit, headers on
        (b"41 0C 1A F8", "?"),  # headers off
        (b"48 6B 10 41 0C 1A F8 B2", "10"),  # J1850 with its CRC: a legacy car
    ],
)
def test_each_bus_format_is_recognised_from_the_answers(tmp_path, answer, ecu):
    path = tmp_path / "capture.txt"
    path.write_bytes(b"".join(b">010C\r" + answer + b"\r\r" for _ in range(40)) + b">")
    rows = _cli_rows(path)
    assert len(rows) == 40
    assert {(r["name"], r["value"], r["ecu"]) for r in rows} == {("RPM", 1726.0, ecu)}


def test_values_are_rounded_to_their_pid_resolution(tmp_path):
    path = tmp_path / "round.txt"
    path.write_bytes(b">ATH1\rOK\r\r>011110\r7E8 06 41 11 50 10 06 19\r\r>")
    values = {r["name"]: r["value"] for r in _cli_rows(path)}
    # 0x50 * 100/255 = 31.372549... (a 0.39 % step: one decimal); 0x0619 / 100 = 15.61
    assert values == {"THROTTLE_POS": 31.4, "MAF": 15.61}
    table = runner.invoke(app, ["replay", str(path)], env={"COLUMNS": "200"}).stdout
    assert " 31.4 %" in table and " 15.61 g/s" in table


def test_the_table_view_streams_with_the_same_rows(polling_log):
    result = runner.invoke(app, ["replay", str(polling_log)], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(_cli_rows(polling_log)) + 3  # title, header, summary
    assert lines[-1].endswith("protocol 6")


_MEASURE = textwrap.dedent(
    """
    import atexit, resource, sys

    def report():
        sys.stderr.write(f"RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n")

    atexit.register(report)
    sys.argv = ["novaevo", "replay", "--json", sys.argv[1]]
    from novaevo.cli import main
    main()
    """
)


def _peak_rss(path) -> int:
    """The peak RSS (bytes) of `novaevo replay --json PATH > /dev/null`, in a new process."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    return int(done.stderr.rsplit("RSS ", 1)[1]) * 1024


def test_memory_does_not_grow_with_the_transcript(tmp_path, polling_log):
    """0.5 MB and 5 MB of transcript replay in about the same memory (the replay before
    streaming held every row: some 150 MB more for the 5 MB file)."""
    block = polling_log.read_bytes()
    small, large = tmp_path / "small.txt", tmp_path / "large.txt"
    small.write_bytes(block * 4)
    with large.open("wb") as out:
        for _ in range(40):
            out.write(block)
    grown = _peak_rss(large) - _peak_rss(small)
    assert grown < 25 * 1024 * 1024, grown


def test_a_reader_that_stops_early_is_no_error(polling_log):
    """``novaevo replay --json big.txt | head -1``: no traceback, no crash log, exit 0."""
    run = "import sys; sys.argv = ['novaevo', 'replay', '--json', sys.argv[1]]\n"
    run += "from novaevo.cli import main\nmain()"
    child = subprocess.Popen(
        [sys.executable, "-c", run, str(polling_log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert json.loads(child.stdout.readline())["request"] == "0100"
    child.stdout.close()  # what head does after its line
    assert child.wait(timeout=60) == 0
    assert child.stderr.read() == b""
