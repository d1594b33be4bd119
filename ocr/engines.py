"""OCR engines behind one small interface: an RGB array in, text boxes out.

Both engines run the PP-OCRv6 small detection and recognition ONNX models that the
``rapidocr`` wheel carries, on ONNX Runtime, on the CPU, fully offline:

- ``rapid``: RapidOCR 3.x, pointed explicitly at the wheel's model files;
- ``paddle``: PaddleOCR 3.x with ``engine="onnxruntime"``, given local model directories
  that this module assembles once in a cache directory (``inference.onnx`` linked to the
  wheel's file plus an ``inference.yml`` describing pre/post-processing). paddlepaddle is
  not needed.

A missing or broken model raises ``ModelUnavailable`` at construction, never a download.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ocr.errors import ModelUnavailable

DET_FILE = "PP-OCRv6_det_small.onnx"
REC_FILE = "PP-OCRv6_rec_small.onnx"
ENGINES = ("onnx", "paddle", "rapid")
DEFAULT_ENGINE = "onnx"
# A card holds about 60 text lines; capping the detector's candidates bounds the recogniser's
# work (and so the time) on pictures full of text or noise.
MAX_BOXES = 250


@dataclass
class TextBox:
    """One detected line of text: its content, recognition score and 4-corner polygon."""

    text: str
    score: float
    quad: np.ndarray  # shape (4, 2): top-left, top-right, bottom-right, bottom-left

    @property
    def x0(self) -> float:
        return float(self.quad[:, 0].min())

    @property
    def x1(self) -> float:
        return float(self.quad[:, 0].max())

    @property
    def y0(self) -> float:
        return float(self.quad[:, 1].min())

    @property
    def y1(self) -> float:
        return float(self.quad[:, 1].max())

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


class Engine(Protocol):
    """What the pipeline needs from an OCR engine."""

    name: str

    def read(self, rgb: np.ndarray) -> list[TextBox]:
        """Detects and recognises the text lines of an RGB ``uint8`` image."""
        ...


def model_dir() -> Path:
    """Returns the directory holding the PP-OCRv6 ONNX files (the rapidocr wheel's models).

    ``NOVAEVO_OCR_MODEL_DIR`` overrides it. Raises ModelUnavailable when a file is missing.
    """
    override = os.environ.get("NOVAEVO_OCR_MODEL_DIR")
    if override:
        directory = Path(override)
    else:
        spec = importlib.util.find_spec("rapidocr")
        if spec is None or not spec.submodule_search_locations:
            raise ModelUnavailable("OCR models unavailable: the rapidocr package is not installed")
        directory = Path(list(spec.submodule_search_locations)[0]) / "models"
    for name in (DET_FILE, REC_FILE):
        path = directory / name
        if not path.is_file() or path.stat().st_size < 100_000:
            raise ModelUnavailable(
                f"OCR model missing or broken: {path} (no download is "
                "attempted; reinstall rapidocr or set NOVAEVO_OCR_MODEL_DIR)"
            )
    return directory


def _quiet_logs() -> None:
    for name in ("RapidOCR", "paddlex", "paddleocr", "ppocr"):
        logging.getLogger(name).setLevel(logging.ERROR)


class RapidEngine:
    """RapidOCR 3.x on the wheel's PP-OCRv6 models, text-line orientation classifier off."""

    name = "rapid"

    def __init__(self, models: Path | None = None) -> None:
        """Loads both ONNX models; raises ModelUnavailable when they cannot be loaded."""
        models = models or model_dir()
        try:
            from rapidocr import RapidOCR

            self._ocr = RapidOCR(
                params={
                    "Global.use_cls": False,
                    "Global.text_score": 0.1,
                    "Global.log_level": "error",
                    "Det.max_candidates": MAX_BOXES,
                    "Det.model_path": str(models / DET_FILE),
                    "Rec.model_path": str(models / REC_FILE),
                }
            )
            _quiet_logs()
            self._ocr(np.full((64, 256, 3), 255, np.uint8))  # load lazily-loaded models now
        except Exception as exc:  # noqa: BLE001 - any failure here means "engine unusable"
            raise ModelUnavailable(f"RapidOCR could not load its models: {exc}") from exc

    def read(self, rgb: np.ndarray) -> list[TextBox]:
        """Returns the text boxes of ``rgb`` (RGB uint8)."""
        result = self._ocr(np.ascontiguousarray(rgb[:, :, ::-1]))  # RapidOCR expects BGR
        if result.boxes is None or result.txts is None:
            return []
        return [
            TextBox(t, float(s), np.asarray(b, np.float32))
            for b, t, s in zip(result.boxes, result.txts, result.scores, strict=False)
        ]


def _character_list(rec_onnx: Path) -> list[str]:
    """Reads the recognition alphabet stored in the ONNX metadata under ``character``."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(rec_onnx), providers=["CPUExecutionProvider"])
    chars = session.get_modelmeta().custom_metadata_map.get("character")
    if not chars:
        raise ModelUnavailable(f"{rec_onnx} carries no character list")
    return chars.splitlines()


def _det_config() -> dict:
    return {
        "Global": {"model_name": "PP-OCRv6_small_det"},
        "PreProcess": {
            "transform_ops": [
                {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                {"DetResizeForTest": {"resize_long": 960}},
                {
                    "NormalizeImage": {
                        "mean": [0.5, 0.5, 0.5],
                        "std": [0.5, 0.5, 0.5],
                        "scale": 1 / 255,
                        "order": "hwc",
                    }
                },
                {"ToCHWImage": None},
                {"KeepKeys": {"keep_keys": ["image", "shape"]}},
            ]
        },
        "PostProcess": {
            "name": "DBPostProcess",
            "thresh": 0.3,
            "box_thresh": 0.6,
            "unclip_ratio": 1.5,
            "max_candidates": MAX_BOXES,
        },
    }


def _rec_config(chars: list[str]) -> dict:
    return {
        "Global": {"model_name": "PP-OCRv6_small_rec"},
        "PreProcess": {
            "transform_ops": [
                {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                {"RecResizeImg": {"image_shape": [3, 48, 320]}},
                {"KeepKeys": {"keep_keys": ["image"]}},
            ]
        },
        "PostProcess": {"name": "CTCLabelDecode", "character_dict": chars},
    }


def _cache_root() -> Path:
    root = os.environ.get("NOVAEVO_OCR_CACHE")
    base = Path(root) if root else Path.home() / ".cache" / "novaevo" / "ocr"
    try:
        base.mkdir(parents=True, exist_ok=True)
        return base
    except OSError:  # read-only home (containers): fall back to the temp dir
        fallback = Path(tempfile.gettempdir()) / "novaevo-ocr"
        fallback.mkdir(parents=True, exist_ok=True)
        return fallback


def _place(src: Path, dst: Path) -> None:
    """Links (or copies when links are refused) ``src`` to ``dst``."""
    try:
        dst.symlink_to(src)
    except OSError:
        import shutil

        shutil.copyfile(src, dst)


def paddle_model_dirs(models: Path | None = None) -> tuple[Path, Path]:
    """Builds (once) the PaddleOCR-style detection and recognition model directories.

    They are assembled in a private temporary directory and renamed into place, so two
    processes starting together never see a half-written directory. Returns (det_dir,
    rec_dir). Raises ModelUnavailable when the ONNX files are unusable.
    """
    import shutil

    import yaml

    models = models or model_dir()
    stamp = hashlib.sha1(
        f"{(models / REC_FILE).resolve()}:{(models / REC_FILE).stat().st_size}".encode()
    ).hexdigest()[:12]
    root = _cache_root() / f"paddle-{stamp}"
    if (root / "rec" / "inference.yml").is_file() and (root / "det" / "inference.yml").is_file():
        return root / "det", root / "rec"
    tmp = Path(tempfile.mkdtemp(prefix=f".paddle-{stamp}-", dir=root.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the cache may be shared
    try:
        configs = {"det": _det_config(), "rec": _rec_config(_character_list(models / REC_FILE))}
        for sub, onnx_file in (("det", DET_FILE), ("rec", REC_FILE)):
            (tmp / sub).mkdir()
            _place(models / onnx_file, tmp / sub / "inference.onnx")
            with open(tmp / sub / "inference.yml", "w", encoding="utf-8") as fh:
                yaml.safe_dump(configs[sub], fh, allow_unicode=True)
        try:
            tmp.rename(root)
        except OSError:  # another process won the race (or a stale directory is there)
            if not (root / "rec" / "inference.yml").is_file():
                shutil.rmtree(root, ignore_errors=True)
                tmp.rename(root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root / "det", root / "rec"


class PaddleEngine:
    """PaddleOCR 3.x on ONNX Runtime from local model directories (no paddlepaddle)."""

    name = "paddle"

    def __init__(self, models: Path | None = None) -> None:
        """Builds the pipeline; raises ModelUnavailable when PaddleOCR or its models fail."""
        # PaddleX would otherwise contact model hosters to check for updates at import.
        os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
        try:
            det, rec = paddle_model_dirs(models)
            from paddleocr import PaddleOCR

            self._ocr = PaddleOCR(
                engine="onnxruntime",
                text_detection_model_name="PP-OCRv6_small_det",
                text_detection_model_dir=str(det),
                text_recognition_model_name="PP-OCRv6_small_rec",
                text_recognition_model_dir=str(rec),
                use_doc_orientation_classify=False,
                use_doc_unwarping=False,
                use_textline_orientation=False,
                text_rec_score_thresh=0.0,
                text_det_limit_side_len=736,
                text_det_limit_type="min",
            )
            _quiet_logs()
        except ModelUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure here means "engine unusable"
            raise ModelUnavailable(f"PaddleOCR could not load its models: {exc}") from exc

    def read(self, rgb: np.ndarray) -> list[TextBox]:
        """Returns the text boxes of ``rgb`` (RGB uint8)."""
        results = self._ocr.predict(np.ascontiguousarray(rgb[:, :, ::-1]))  # BGR input
        if not results:
            return []
        res = results[0]
        rows = zip(res["rec_polys"], res["rec_texts"], res["rec_scores"], strict=False)
        return [TextBox(t, float(s), np.asarray(p, np.float32)) for p, t, s in rows]


def create_engine(name: str = DEFAULT_ENGINE) -> Engine:
    """Returns a loaded engine by name (``onnx``, ``paddle`` or ``rapid``).

    Raises ValueError for an unknown name, ModelUnavailable when it cannot load.
    """
    if name == "onnx":
        from ocr.onnx_engine import OnnxEngine

        return OnnxEngine()
    if name == "paddle":
        return PaddleEngine()
    if name == "rapid":
        return RapidEngine()
    raise ValueError(f"unknown OCR engine {name!r}; choose one of {', '.join(ENGINES)}")
