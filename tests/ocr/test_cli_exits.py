"""``novaevo ocr``'s failures: one line, the shared exit codes (obdcore.errors.ExitCode),
never a traceback, and a wrong file refused before the OCR model is loaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from novaevo.cli import app
from obdcore.errors import ExitCode

ROOT = Path(__file__).resolve().parents[2]


def _ocr(*args: str):
    result = CliRunner().invoke(app, ["ocr", *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def test_a_directory_is_an_input_file_error_not_a_traceback(tmp_path):
    result = _ocr(str(tmp_path))
    assert result.exit_code == ExitCode.INPUT_FILE
    assert result.stderr.strip().count("\n") == 0 and "is a directory" in result.stderr


def test_a_missing_photo_is_an_input_file_error(tmp_path):
    result = _ocr(str(tmp_path / "nope.jpg"))
    assert result.exit_code == ExitCode.INPUT_FILE and "does not exist" in result.stderr


def test_not_an_image_is_the_image_code_not_the_usage_code(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    result = _ocr(str(text))
    assert result.exit_code == ExitCode.IMAGE == 10
    assert result.stderr.startswith("novaevo ocr: ")


def test_a_text_file_fails_before_any_ocr_model_is_imported(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    script = (
        "import sys\nfrom typer.testing import CliRunner\nfrom novaevo.cli import app\n"
        f"r = CliRunner().invoke(app, ['ocr', {str(text)!r}])\n"
        "heavy = [m for m in ('rapidocr', 'paddleocr', 'onnxruntime', 'paddle') "
        "if m in sys.modules]\n"
        "print(r.exit_code, heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert out.strip().splitlines()[-1] == "10 []"


def test_the_exit_codes_are_in_the_help():
    result = CliRunner().invoke(app, ["ocr", "--help"])
    assert "Exit codes" in result.stdout and "10 image" in result.stdout
