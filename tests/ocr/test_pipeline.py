"""End to end with the real models: both engines, clean scans, photos, bad inputs."""

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from obdcore.errors import ExitCode
from ocr import synth
from ocr.cli import app
from ocr.engines import PaddleEngine, RapidEngine
from ocr.errors import ForeignCard, ModelUnavailable, NoCardFound
from ocr.evaluate import norm
from ocr.fields import CRITICAL_CODES
from ocr.onnx_engine import OnnxEngine, default_threads
from tests.ocr.conftest import encode


def _critical_errors(result, truth):
    return {
        c: (result.text(c), truth[c])
        for c in CRITICAL_CODES
        if norm(result.text(c)) != norm(truth[c])
    }


def test_clean_scan_both_engines(any_reader, card, card_png):
    result = any_reader.read(card_png)
    assert _critical_errors(result, card.truth) == {}
    assert result.fields["E"].source == "both"
    right = sum(norm(result.text(c)) == norm(v) for c, v in card.truth.items() if v)
    assert right >= 0.9 * sum(1 for v in card.truth.values() if v)


def test_phone_photo_on_a_table(reader, card, photo_jpeg):
    result = reader.read(photo_jpeg)
    assert result.card_found_in_photo
    assert _critical_errors(result, card.truth) == {}


def test_heic_photo_with_exif_rotation(reader, card):
    exif = Image.Exif()
    exif[0x0112] = 8  # pixels stored rotated: the viewer must rotate 90 degrees CCW... back
    stored = card.image.transpose(Image.Transpose.ROTATE_270)
    data = encode(stored, "HEIF", exif=exif.tobytes(), quality=90)
    result = reader.read(data)
    assert result.text("E") == card.truth["E"]


def test_upside_down_card_is_turned(rapid_reader, card):
    data = encode(card.image.rotate(180), "PNG")
    assert rapid_reader.read(data).text("A") == card.truth["A"]


def test_sideways_skewed_scan_is_deskewed(reader, card):
    # No background around the card: no outline to find, the text direction decides.
    turned = card.image.rotate(90 + 8, expand=True, fillcolor=(230, 236, 226))
    result = reader.read(encode(turned, "PNG"))
    assert _critical_errors(result, card.truth) == {}


def test_photo_of_something_else(reader):
    data = encode(synth.make_non_card(np.random.default_rng(5)), "JPEG")
    with pytest.raises(NoCardFound) as info:
        reader.read(data)
    assert info.value.kind == "no_card_found"


def test_card_from_another_country(reader):
    foreign = synth.make_foreign_card(np.random.default_rng(9))
    with pytest.raises(ForeignCard):
        reader.read(encode(foreign.image, "PNG"))


def test_noise_only_image(reader):
    rng = np.random.default_rng(1)
    noise = (rng.normal(128, 40, (600, 800, 3))).clip(0, 255).astype(np.uint8)
    with pytest.raises(NoCardFound):
        reader.read(encode(Image.fromarray(noise), "JPEG"))


@pytest.mark.parametrize("engine", [OnnxEngine, PaddleEngine, RapidEngine])
def test_missing_model_is_one_clear_error(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("NOVAEVO_OCR_MODEL_DIR", str(tmp_path))
    with pytest.raises(ModelUnavailable) as info:
        engine()
    assert "no download" in str(info.value)


def test_broken_model_is_one_clear_error(tmp_path, monkeypatch):
    from ocr.engines import DET_FILE, REC_FILE

    for name in (DET_FILE, REC_FILE):
        (tmp_path / name).write_bytes(b"not an onnx model" * 10_000)
    monkeypatch.setenv("NOVAEVO_OCR_MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("NOVAEVO_OCR_CACHE", str(tmp_path / "cache"))
    for engine in (OnnxEngine, RapidEngine, PaddleEngine):
        with pytest.raises(ModelUnavailable):
            engine()


def test_cli_json(tmp_path, card_png, card):
    path = tmp_path / "card.png"
    path.write_bytes(card_png)
    out = CliRunner().invoke(app, [str(path), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["fields"]["A"]["value"] == card.truth["A"]
    assert data["engine"] == "onnx"


def test_default_reader_loads_the_recogniser_once(reader):
    # The orientation check's recogniser vote runs on the engine's own session.
    assert reader.engine.name == "onnx"
    assert reader.upright._recogniser() is reader.engine.rec


def test_thread_count_follows_the_environment(monkeypatch):
    monkeypatch.setenv("NOVAEVO_OCR_THREADS", "1")
    assert default_threads() == 1
    monkeypatch.setenv("NOVAEVO_OCR_THREADS", "many")
    assert 1 <= default_threads() <= 4


def test_cli_bad_inputs(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    out = CliRunner().invoke(app, [str(text), "--json"])
    assert out.exit_code == ExitCode.IMAGE and json.loads(out.stdout)["status"] == "not_an_image"
    blank = tmp_path / "blank.png"
    Image.new("RGB", (300, 200), "white").save(blank)
    out = CliRunner().invoke(app, [str(blank)])
    assert out.exit_code == ExitCode.IMAGE and "no registration card" in out.output
    out = CliRunner().invoke(app, [str(blank), "--engine", "tesseract"])
    assert out.exit_code == 2
