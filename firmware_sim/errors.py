"""Typed errors of the simulator."""


class SimError(Exception):
    """Base class of every error the simulator raises on purpose."""


class FaultSpecError(SimError, ValueError):
    """A fault name, cylinder or severity that cannot be understood or does not apply."""


class ProfileError(SimError, ValueError):
    """An unknown engine or adapter profile name, or an unsupported protocol."""


class ControlError(SimError, ValueError):
    """A driver command (the guided-test control interface) that cannot be understood."""
