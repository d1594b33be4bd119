"""Garages: directory, opening hours, labour times, quotes, slots and bookings.

This is the one domain that lives only behind the API (see docs/DESIGN): the pure rules
(``hours``, ``slots``, ``services``, ``labour``, ``quotes``, ``ics``, ``directory``) import
neither FastAPI nor the database; ``models``, ``service`` and ``routes`` put them behind
``/v1``.
"""
