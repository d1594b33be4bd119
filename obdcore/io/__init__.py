"""The I/O layer: transports (serial, TCP, BLE, and finding them), the asyncio driver of
the sans-I/O session, the client, its synchronous wrapper, adapter memory, sample logs.

Adds asyncio, pyserial, bleak and python-obd (DTC texts) to what :mod:`obdcore.protocol`
uses; imports nothing from :mod:`obdcore.cli`.
"""
