"""Columnar results of :meth:`obdcore.Decoder.decode_batch`, for log replay."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RECORD_DTYPE = np.dtype([("line", "<i8"), ("ecu", "<i8"), ("service", "<i2"), ("pid", "<i4"),
                         ("frame", "<i2"), ("field", "<i4"), ("value", "<f8")])


@dataclass(frozen=True)
class Batch:
    """Every numeric reading of a log, one row each, as numpy columns.

    ``line``: index of the input line that completed the answer (map it to your
    timestamps); ``ecu``, ``service``, ``pid``, ``frame`` as in :class:`~obdcore.Reading`;
    ``field``: index into ``names``/``units``; ``value``: float64 in that unit.
    Structured values (DTC lists, VINs, bitmaps...) are in ``objects`` as Readings;
    ``notices`` and ``negatives`` as in :class:`~obdcore.Response`.
    """

    line: np.ndarray
    ecu: np.ndarray
    service: np.ndarray
    pid: np.ndarray
    frame: np.ndarray
    field: np.ndarray
    value: np.ndarray
    names: tuple[str, ...]
    units: tuple[str, ...]
    objects: list
    notices: list
    negatives: list

    @classmethod
    def from_arrays(cls, sink, columns, notices, negatives, objects=()) -> Batch:
        """Wraps the decoder's growing ``array.array`` columns without copying."""
        return cls(
            line=np.frombuffer(sink.lines, dtype=np.int64),
            ecu=np.frombuffer(sink.ecus, dtype=np.int64),
            service=np.frombuffer(sink.services, dtype=np.int16),
            pid=np.frombuffer(sink.pids, dtype=np.int32),
            frame=np.frombuffer(sink.frames, dtype=np.int16),
            field=np.frombuffer(sink.fields, dtype=np.int32),
            value=np.frombuffer(sink.values, dtype=np.float64),
            names=tuple(name for name, _ in columns),
            units=tuple(unit for _, unit in columns),
            objects=list(objects), notices=list(notices), negatives=list(negatives),
        )

    def __len__(self) -> int:
        return len(self.value)

    def records(self) -> np.ndarray:
        """The same rows as one compact numpy structured array (``RECORD_DTYPE``)."""
        out = np.empty(len(self), dtype=RECORD_DTYPE)
        for name in RECORD_DTYPE.names:
            out[name] = getattr(self, name)
        return out

    def column(self, name: str) -> np.ndarray:
        """All values of the field called ``name`` (e.g. ``"RPM"``), in line order."""
        return self.value[self.field == self.names.index(name)]
