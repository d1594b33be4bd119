"""Columnar results of :meth:`obdcore.Decoder.decode_batch`, for log replay."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RECORD_DTYPE = np.dtype(
    [
        ("line", "<i8"),
        ("ecu", "<i8"),
        ("service", "<i2"),
        ("pid", "<i4"),
        ("frame", "<i2"),
        ("field", "<i4"),
        ("value", "<f8"),
    ]
)


@dataclass(frozen=True)
class Batch:
    """Every numeric reading of a log, one row each, as numpy columns.

    ``line``: index of the input line that completed the answer (map it to your
    timestamps); ``ecu``, ``service``, ``pid``, ``frame`` as in :class:`~obdcore.Reading`;
    ``field``: index into ``names``/``units``; ``value``: float64 in that unit.
    DTCs are rows too: field ``DTC_STORED``/``DTC_PENDING``/``DTC_PERMANENT`` (unit
    ``dtc``), one row per code, the code's two bytes as value (see :meth:`dtcs`); an
    answer with no code adds no row. Other structured values (VINs, bitmaps, status
    words...) are in ``objects`` as Readings;
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
    def from_arrays(
        cls,
        arrays,
        columns,
        objects,
        notices,
        negatives,
        *,
        names: tuple[str, ...] | None = None,
        units: tuple[str, ...] | None = None,
    ) -> Batch:
        """Wraps the decoder's columns (line, ecu, service, pid, frame, field, value: any
        buffers of ``RECORD_DTYPE``'s types) without copying. ``columns``: the ``(name,
        unit)`` of each field index; ``names``/``units``, when given, are the same as
        tuples (the decoder keeps them ready: a table has hundreds of fields)."""
        line, ecu, service, pid, frame, field, value = (
            np.frombuffer(a, dtype=RECORD_DTYPE[i])
            if len(a)
            else np.empty(0, dtype=RECORD_DTYPE[i])
            for i, a in enumerate(arrays)
        )
        return cls(
            line=line,
            ecu=ecu,
            service=service,
            pid=pid,
            frame=frame,
            field=field,
            value=value,
            names=names if names is not None else tuple(name for name, _ in columns),
            units=units if units is not None else tuple(unit for _, unit in columns),
            objects=list(objects),
            notices=list(notices),
            negatives=list(negatives),
        )

    def __len__(self) -> int:
        return len(self.value)

    def records(self) -> np.ndarray:
        """The same rows as one compact numpy structured array (``RECORD_DTYPE``)."""
        out = np.empty(len(self), dtype=RECORD_DTYPE)
        for name in RECORD_DTYPE.names:
            out[name] = getattr(self, name)
        return out

    def dtcs(self) -> list[tuple[int, int, str, str]]:
        """``(line, ecu, field name, code)`` for every DTC row, e.g. ``(12, 0x7E8,
        "DTC_STORED", "P0301")``."""
        from obdcore.protocol.structured import dtc_code

        rows = np.flatnonzero(
            np.isin(self.field, [i for i, unit in enumerate(self.units) if unit == "dtc"])
        )
        return [
            (
                int(self.line[r]),
                int(self.ecu[r]),
                self.names[self.field[r]],
                dtc_code(int(self.value[r]) >> 8, int(self.value[r]) & 0xFF),
            )
            for r in rows
        ]

    def column(self, name: str) -> np.ndarray:
        """All values of the field called ``name`` (e.g. ``"RPM"``), in line order."""
        return self.value[self.field == self.names.index(name)]
