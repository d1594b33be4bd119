"""obdcore's commands for the ``novaevo`` CLI: the only part of obdcore that imports Typer
and Rich. The composition root (:mod:`novaevo.cli`) mounts these Typer apps.

- :mod:`~obdcore.cli.connect`: the ``--device``/``--sim`` options, a spinner, one error
  line per failure (reaching the car itself is :mod:`obdcore.io.target`);
- :mod:`~obdcore.cli.car`: ``scan``, ``info``, ``dtc``, ``freeze``, ``readiness``, ``mode06``;
- :mod:`~obdcore.cli.stream`: ``live``, ``trip`` and ``log``;
- :mod:`~obdcore.cli.replay`: ``replay`` and ``pids``.
"""

from obdcore.cli.car import app as car_app
from obdcore.cli.replay import app as replay_app
from obdcore.cli.stream import app as stream_app
from obdcore.io.target import use_simulator

__all__ = ["car_app", "replay_app", "stream_app", "use_simulator"]
