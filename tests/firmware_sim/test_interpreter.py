"""The ELM327 command interpreter: AT commands, prompts, echo, protocols, addressing."""

from __future__ import annotations

import re

import pytest

from firmware_sim.timing import REALISTIC
from tests.firmware_sim.helpers import lines, make_firmware, quiet, send


@pytest.mark.parametrize(
    ("adapter", "banner"),
    [("elm327", "ELM327 v2.2"), ("stn", "ELM327 v1.4b"), ("clone", "ELM327 v1.5")],
)
def test_reset_prints_the_banner_then_the_prompt(adapter: str, banner: str) -> None:
    fw = make_firmware(adapter=adapter)
    answer = send(fw, "ATZ")
    assert answer.endswith(banner + "\r\r>")
    assert answer.startswith("ATZ\r")  # echo is on after a reset
    assert ("\x00" in answer) == (adapter == "clone")  # clones spit NULs after a reset


def test_echo_linefeeds_and_ok() -> None:
    fw = make_firmware()
    assert send(fw, "ATE0") == "ATE0\rOK\r\r>"
    assert send(fw, "ATI") == "ELM327 v2.2\r\r>"
    assert send(fw, "ATL1") == "OK\r\n\r\n>"
    assert send(fw, "ATL0") == "OK\r\r>"
    assert send(fw, "at e1") == "OK\r\r>"  # case and spaces do not matter
    assert send(fw, "ATI") == "ATI\rELM327 v2.2\r\r>"  # echoed from now on


def test_identity_commands_per_adapter() -> None:
    elm, stn, clone = (quiet(make_firmware(adapter=a)) for a in ("elm327", "stn", "clone"))
    assert lines(send(elm, "AT@1")) == ["OBDII to RS232 Interpreter"]
    assert lines(send(elm, "STI")) == ["?"]
    assert lines(send(stn, "STI")) == ["STN2120 v5.6.5"]
    assert lines(send(stn, "STDI")) == ["OBDLink SX r4.2"]
    for command in ("AT@1", "ATCRA7E8", "ATWS", "ATPC", "ATAT2", "ATSH18DA10F1"):
        assert lines(send(clone, command)) == ["?"], command
    assert lines(send(clone, "ATAT1")) == ["OK"]


@pytest.mark.parametrize("command", ["ATXYZ", "HELLO", "0", "01020304050607080910", "AT SP Z"])
def test_anything_unknown_answers_a_question_mark(command: str) -> None:
    fw = quiet(make_firmware())
    assert send(fw, command) == "?\r\r>"


def test_automatic_search_then_protocol_description() -> None:
    fw = quiet(make_firmware())
    assert lines(send(fw, "ATDP")) == ["AUTO"]
    answer = lines(send(fw, "0100"))
    assert answer[0] == "SEARCHING..."
    assert answer[1].startswith("41 00 ")
    assert lines(send(fw, "ATDPN")) == ["A6"]
    assert lines(send(fw, "ATDP")) == ["AUTO, ISO 15765-4 (CAN 11/500)"]
    assert "SEARCHING..." not in send(fw, "0100")  # only the first request searches


@pytest.mark.parametrize(
    ("protocol", "error"), [("3", "BUS INIT: ...ERROR"), ("7", "CAN ERROR"), ("1", "NO DATA")]
)
def test_a_protocol_the_car_does_not_speak(protocol: str, error: str) -> None:
    fw = quiet(make_firmware())
    send(fw, f"ATSP{protocol}")
    assert lines(send(fw, "0100")) == [error]


def test_manual_and_preferred_protocols() -> None:
    fw = quiet(make_firmware())
    send(fw, "ATSP6")
    assert lines(send(fw, "010D"))[0].startswith("41 0D")
    assert lines(send(fw, "ATDPN")) == ["6"]
    legacy = quiet(make_firmware(protocol="4"))
    send(legacy, "ATSP4")
    assert lines(send(legacy, "010D"))[0] == "BUS INIT: ...OK"
    other = quiet(make_firmware())
    send(other, "ATSPA7")  # try 7 first, then search
    assert lines(send(other, "010D"))[0] == "SEARCHING..."
    assert lines(send(other, "ATDPN")) == ["A6"]
    send(other, "ATTP6")
    assert lines(send(other, "ATDPN")) == ["6"]


def test_headers_spaces_and_caf() -> None:
    fw = quiet(make_firmware())
    send(fw, "0100")
    send(fw, "ATH1")
    answer = lines(send(fw, "0100"))
    assert answer[0].startswith("7E8 06 41 00 ") and answer[1].startswith("7E9 06 41 00 ")
    send(fw, "ATS0")
    assert re.fullmatch(r"7E8064100[0-9A-F]{8}", lines(send(fw, "0100"))[0])
    send(fw, "ATH0")
    send(fw, "ATS1")
    send(fw, "ATCAF0")
    # CAF off: the first byte is the PCI; "0100" is a 1-byte request for service 00.
    assert lines(send(fw, "0100")) == ["03 7F 00 11 00 00 00 00"]
    assert lines(send(fw, "050100")) == ["NO DATA"]  # a wrong length reaches no ECU
    raw = lines(send(fw, "020100"))
    assert all(len(line.split()) == 8 and line.startswith("06 41 00") for line in raw)


def test_physical_addressing_11_bit() -> None:
    fw = quiet(make_firmware())
    send(fw, "ATH1")
    send(fw, "0100")
    send(fw, "ATSH7E0")
    assert [line[:3] for line in lines(send(fw, "0100"))] == ["7E8"]
    send(fw, "ATSH7E1")
    assert [line[:3] for line in lines(send(fw, "0100"))] == ["7E9"]
    send(fw, "ATSH7E5")
    assert lines(send(fw, "0100")) == ["NO DATA"]
    send(fw, "ATSH7DF")
    assert len(lines(send(fw, "0100"))) == 2


def test_29_bit_headers_and_addressing() -> None:
    fw = quiet(make_firmware(profile="diesel_2.0"))
    send(fw, "ATH1")
    answer = lines(send(fw, "0100"))
    assert answer[1].startswith("18 DA F1 10 06 41 00") and answer[2].startswith("18 DA F1 18")
    send(fw, "ATSHDA10F1")
    assert [line[:11] for line in lines(send(fw, "0100"))] == ["18 DA F1 10"]
    send(fw, "ATSH18DA18F1")
    assert [line[:11] for line in lines(send(fw, "0100"))] == ["18 DA F1 18"]
    send(fw, "ATSHDB33F1")
    assert len(lines(send(fw, "0100"))) == 2


def test_receive_filter() -> None:
    fw = quiet(make_firmware())
    send(fw, "ATH1")
    send(fw, "0100")
    send(fw, "ATCRA7E9")
    assert [line[:3] for line in lines(send(fw, "0100"))] == ["7E9"]
    send(fw, "ATCRA7EX")
    assert len(lines(send(fw, "0100"))) == 2
    send(fw, "ATCRA")
    assert len(lines(send(fw, "0100"))) == 2
    assert lines(send(fw, "ATCRA7E")) == ["?"]


def test_answer_count_suffix_and_bare_cr() -> None:
    fw = quiet(make_firmware())
    send(fw, "ATH1")
    send(fw, "0100")
    assert [line[:3] for line in lines(send(fw, "01001"))] == ["7E8"]
    first = lines(send(fw, "010D"))
    again = lines(send(fw, ""))  # a bare CR repeats the last request
    assert [line[:10] for line in again] == [line[:10] for line in first]
    assert again[0].startswith("7E8 03 41 0D")


def test_timeout_and_adaptive_timing_change_the_modelled_time() -> None:
    def spent(*setup: str) -> float:
        fw = quiet(make_firmware())
        send(fw, "0100")
        for command in setup:
            send(fw, command)
        before = fw.sim_time
        send(fw, "0100")
        return fw.sim_time - before

    assert spent("ATAT0") > spent("ATAT1") > spent("ATAT2")
    assert spent("ATAT0", "ATSTFF") > spent("ATAT0") > spent("ATAT0", "ATST10")
    assert spent("ATAT0") > spent("ATAT0", "ATSH7E0", "ATH0") - 0.5  # still waits: no count
    with_count = quiet(make_firmware())
    send(with_count, "0100")
    before = with_count.sim_time
    send(with_count, "01002")
    assert with_count.sim_time - before < spent("ATAT0")


def test_an_answer_count_larger_than_the_answers_still_waits() -> None:
    fw = quiet(make_firmware())
    send(fw, "0100")
    send(fw, "ATSH7E0")
    before = fw.sim_time
    send(fw, "01001")
    quick = fw.sim_time - before
    before = fw.sim_time
    send(fw, "01002")  # only the engine is addressed: the adapter waits for a second one
    assert fw.sim_time - before > quick + 0.01


def test_the_clone_answers_ok_late_in_realistic_timing() -> None:
    def ok_delay(adapter: str) -> float:
        fw = make_firmware(adapter=adapter, timing=REALISTIC)
        send(fw, "ATE0", 0.0)
        deadline = fw.next_deadline()
        assert deadline is not None and fw.poll(deadline) == b"OK\r\r>"
        return deadline

    assert ok_delay("clone") >= ok_delay("elm327") + 0.2


def test_voltage_reads_the_battery() -> None:
    fw = quiet(make_firmware())
    fw.advance(60)
    text = lines(send(fw, "ATRV"))[0]
    assert re.fullmatch(r"\d+\.\dV", text)
    assert abs(float(text[:-1]) - fw.car.physics.state.battery) < 0.3


def test_monitor_all_streams_until_a_key_is_pressed() -> None:
    fw = quiet(make_firmware())
    send(fw, "ATH1")
    send(fw, "0100")
    stream = send(fw, "ATMA", 10.0) + fw.poll(10.2).decode()
    frames = lines(stream)
    assert len(frames) >= 5 and all(re.fullmatch(r"(0C9|3E9)( [0-9A-F]{2}){5}", f) for f in frames)
    assert fw.feed(b"x", 10.25).decode().endswith("STOPPED\r\r>")
    assert fw.poll(11.0) == b""
    assert lines(send(fw, "ATI", 11.0)) == ["ELM327 v2.2"]


def test_realistic_timing_delays_and_input_while_busy_stops() -> None:
    fw = make_firmware(timing=REALISTIC)
    assert send(fw, "ATE0", 0.0) == "ATE0\r"  # the echo at once, the answer a bit later
    assert fw.poll(0.01) == b"OK\r\r>"
    assert send(fw, "0100", 1.0) == ""  # searching: the answer is not there yet
    assert fw.next_deadline() is not None and fw.next_deadline() > 1.0
    assert fw.feed(b"A", 1.01) == b"STOPPED\r\r>"
    assert fw.poll(10.0) == b""
    send(fw, "010D", 10.0)
    deadline = fw.next_deadline()
    assert deadline is not None
    assert fw.poll(deadline).decode().endswith("\r\r>")


def test_defaults_warm_start_and_protocol_close() -> None:
    fw = quiet(make_firmware())
    send(fw, "ATH1")
    assert lines(send(fw, "ATD")) == ["OK"]
    send(fw, "0100")
    assert lines(send(fw, "0100"))[0].startswith("41 00")  # ATD turned headers off
    assert lines(send(fw, "ATPC")) == ["OK"]
    assert lines(send(fw, "ATWS"))[-1] == "ELM327 v2.2"
    assert send(fw, "ATI").startswith("ATI\r")  # warm start turned echo back on


def test_long_lines_and_control_bytes() -> None:
    fw = quiet(make_firmware())
    assert fw.feed(b"A\x00T\nI\r", 0.0) == b"ELM327 v2.2\r\r>"
    assert send(fw, "AT" + "X" * 100) == "?\r\r>"


def test_monitor_on_29_bit_without_spaces() -> None:
    """Found by the fuzz test: ATMA on a 29-bit bus with spaces off."""
    fw = quiet(make_firmware(profile="diesel_2.0"))
    send(fw, "ATS0")
    send(fw, "ATH1")
    frames = lines(send(fw, "ATMA", 1.0) + fw.poll(1.1).decode())
    assert frames and all(re.fullmatch(r"(0CF00400|18FEEE00)[0-9A-F]{10}", f) for f in frames)
    assert fw.feed(b"\r", 1.2).endswith(b"STOPPED\r\r>")


def test_realistic_timing_continues_a_car_that_was_driven_before_it_was_served() -> None:
    fw = make_firmware(timing=REALISTIC)
    fw.advance(300.0)  # the car has been driven 300 s before a client connects
    send(fw, "ATI", 1000.0)  # the first byte anchors the wall clock
    fw.sync(1002.5)
    assert fw.car.time == pytest.approx(302.5, abs=0.2)  # moving at once, not frozen
