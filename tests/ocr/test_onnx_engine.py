"""The default engine's own mechanics: recogniser batches and their worker threads."""

import numpy as np
import pytest

from ocr import preprocess
from ocr.onnx_engine import REC_BATCH_COLUMNS, OnnxEngine, _rec_width, crop_line, rec_batches


def test_batches_hold_every_crop_once_within_the_column_budget():
    rng = np.random.default_rng(3)
    widths = [int(w) for w in rng.integers(8, 400, 120) // 8 * 8] + [3200, 64, 64]
    batches = rec_batches(widths, 1024)
    assert sorted(i for b in batches for i in b) == list(range(len(widths)))
    for batch in batches:
        padded = len(batch) * max(widths[i] for i in batch)
        assert padded <= 1024 or len(batch) == 1
    # Sorted by width: a batch never holds a crop wider than the next batch's narrowest.
    for first, second in zip(batches, batches[1:], strict=False):
        assert max(widths[i] for i in first) <= min(widths[i] for i in second)
    assert [3200 in [widths[i] for i in b] for b in batches].count(True) == 1


def test_default_budget_groups_short_labels():
    assert len(rec_batches([64] * 40)) == -(-40 * 64 // REC_BATCH_COLUMNS)


@pytest.fixture(scope="module")
def line_crops(reader, card_png):
    from ocr import intake

    canvas, _ = preprocess.prepare(intake.load_image(card_png), upright=reader.upright)
    return [crop_line(canvas, q) for q in reader.engine.detect(canvas)]


def test_worker_threads_give_the_single_thread_result(line_crops):
    assert len(line_crops) > 20
    one = OnnxEngine(threads=1)
    two = OnnxEngine(threads=2)
    assert len(rec_batches([_rec_width(c) for c in line_crops])) > 1
    single = one.recognise(line_crops)
    assert two.recognise(line_crops) == single
    assert sum(bool(text) for text, _ in single) >= 0.9 * len(line_crops)
