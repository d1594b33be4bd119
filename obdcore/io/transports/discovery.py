"""Finding adapters: the machine's serial ports, and which of them look like an OBD dongle.

Bluetooth LE dongles are found by :func:`obdcore.io.transports.ble.discover`.
"""

from __future__ import annotations

from dataclasses import dataclass

# Serial chips cheap OBD adapters are built on (USB vendor ID -> name).
USB_SERIAL_CHIPS = {0x0403: "FTDI", 0x1A86: "CH340", 0x10C4: "CP210x", 0x067B: "PL2303"}


@dataclass(frozen=True)
class Port:
    """A serial port; ``chip`` names what makes it look like an OBD adapter (None: it does
    not)."""

    device: str
    description: str
    chip: str | None

    @property
    def adapter(self) -> bool:
        return self.chip is not None


def serial_ports() -> list[Port]:
    """The machine's serial ports (pyserial's list), sorted by device name."""
    from serial.tools import list_ports

    return [
        Port(info.device, info.description or "", _chip(info))
        for info in sorted(list_ports.comports(), key=lambda info: info.device)
    ]


def _chip(info) -> str | None:
    """Why a port looks like an OBD adapter: a USB-serial chip adapters use, or a Bluetooth
    serial link (Linux rfcomm, Windows' "Serial over Bluetooth")."""
    if info.vid in USB_SERIAL_CHIPS:
        return USB_SERIAL_CHIPS[info.vid]
    if "rfcomm" in info.device.lower() or "bluetooth" in (info.description or "").lower():
        return "Bluetooth serial"
    return None


def adapter_ports() -> list[Port]:
    """The serial ports that look like an OBD adapter (:attr:`Port.adapter`), by name."""
    return [port for port in serial_ports() if port.adapter]


__all__ = ["USB_SERIAL_CHIPS", "Port", "adapter_ports", "serial_ports"]
