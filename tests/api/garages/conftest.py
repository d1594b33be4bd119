"""Fixtures of the garages tests, on top of tests/api/conftest.py (one app per backend:
SQLite and the real PostgreSQL server).

Each test session gets its own catalogue rows (brands ``GT<tag>-...``) and its own garages
(refs ``T<tag>-...``) placed around a random point of central France far from the demo
cities, so they never mix with what other tests write into the shared database.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import uuid
from dataclasses import dataclass, field

import pytest
from sqlalchemy.orm import Session

from api.garages import service
from api.garages.bookings import link_staff
from api.garages.models import Garage
from tests.api.conftest import User

SERVICES = "diagnosis|engine_repair|brake_pads|spark_plugs|oil_service"
HEADER = (
    "ref,name,address,postcode,city,latitude,longitude,bays,hours,services,labour_rate,"
    "open_on_public_holidays,cancel_notice_hours,booking_notice_hours\n"
)


@dataclass
class World:
    """What the garages tests share: a catalogue vehicle type, brands, garages by role."""

    tag: str
    latitude: float
    longitude: float
    vehicle_type_id: int
    coil_brands: tuple[str, str]
    garages: dict[str, int] = field(default_factory=dict)


def _offset(lat: float, lon: float, km_north: float, km_east: float) -> tuple[float, float]:
    import math

    return lat + km_north / 111.2, lon + km_east / (111.2 * math.cos(math.radians(lat)))


def garage_row(tag: str, name: str, lat: float, lon: float, **kw: object) -> str:
    """One CSV row of a test garage; ``kw`` overrides hours, bays, services, rate, rules."""
    values = {
        "bays": 1, "hours": "mon-sun 00:00-24:00", "services": SERVICES, "labour_rate": "60",
        "holidays": 1, "cancel": 2, "notice": 0,
    } | kw  # fmt: skip
    return (
        f"T{tag}-{name},[TEST] {name},1 rue du Test,36000,Testville,{lat:.6f},{lon:.6f},"
        f'{values["bays"]},"{values["hours"]}",{values["services"]},{values["labour_rate"]},'
        f"{values['holidays']},{values['cancel']},{values['notice']}\n"
    )


def add_garage(app, world: World, name: str, km_east: float = 0.0, **kw: object) -> int:
    """Import one more test garage (through the directory importer) and return its id."""
    lat, lon = _offset(world.latitude, world.longitude, 0.0, km_east)
    report = service.import_directory(
        app.state.engine, io.StringIO(HEADER + garage_row(world.tag, name, lat, lon, **kw)),
        strict=True,
    )  # fmt: skip
    assert report.committed and report.created + report.updated == 1
    with Session(app.state.engine) as s:
        return s.query(Garage.id).filter(Garage.ref == f"T{world.tag}-{name}").scalar()


def _catalogue(app, tag: str) -> tuple[int, tuple[str, str]]:
    """A vehicle type with two fitting ignition coils (two brands, priced), a spark plug."""
    from parts.models import Fitment, Offer, Part, Supplier, VehicleType

    brands = (f"GT{tag}-ALPHA", f"GT{tag}-BRAVO")
    with Session(app.state.engine) as s:
        vt = VehicleType(make="Renault", make_norm="RENAULT", model=f"Test {tag}", variant="",
                         engine_code="", fuel="ES", year_from=2010, year_to=2022, type_code="",
                         cnit="", ktype=random.randrange(10**8, 2 * 10**9))  # fmt: skip
        supplier = Supplier(code=f"GT{tag}", name="Test supplier", country="FR")
        s.add_all([vt, supplier])
        s.flush()
        rows = [(brands[0], "ignition_coil", 4550), (brands[1], "ignition_coil", 3999),
                (brands[0], "spark_plug", 850)]  # fmt: skip
        for n, (brand, part_type, price) in enumerate(rows):
            part = Part(brand=brand, brand_norm=brand, article_number=f"{tag}-{n}",
                        number_norm=f"{tag}{n}".upper(), part_type_code=part_type,
                        name=f"[TEST] {part_type}", attributes={}, search_text="")  # fmt: skip
            s.add(part)
            s.flush()
            s.add(Fitment(vehicle_type_id=vt.id, part_id=part.id, position="", quantity=1,
                          qualifiers=""))  # fmt: skip
            s.add(Offer(supplier_id=supplier.id, part_id=part.id, price_minor=price,
                        currency="EUR", stock=5, delivery_days=1))  # fmt: skip
        s.commit()
        return vt.id, brands


@pytest.fixture(scope="session")
def world(app) -> World:
    """The session's catalogue rows and garages (see the module docstring)."""
    tag = uuid.uuid4().hex[:6].upper()
    rng = random.Random()
    lat, lon = 46.2 + rng.random() * 0.6, 1.2 + rng.random() * 0.6
    vt, brands = _catalogue(app, tag)
    w = World(tag, lat, lon, vt, brands)
    w.garages["near"] = add_garage(app, w, "near", 1.0, labour_rate="80")
    w.garages["mid"] = add_garage(app, w, "mid", 3.0, labour_rate="50")
    w.garages["far"] = add_garage(app, w, "far", 6.0, labour_rate="70", bays=3)
    w.garages["outside"] = add_garage(app, w, "outside", 45.0)
    w.garages["classic"] = add_garage(
        app, w, "classic", 8.0, hours="mon-fri 08:00-12:00,14:00-18:00", holidays=0,
        cancel=24, notice=2, bays=2,
    )  # fmt: skip
    w.garages["brakes_only"] = add_garage(app, w, "brakes_only", 9.0, services="brake_pads")
    return w


def make_vehicle(app, owner_id: int, vehicle_type_id: int | None, plate: str | None = None):
    """A vehicle of ``owner_id`` linked to the catalogue vehicle type (id returned)."""
    from api.vehicles.models import Vehicle

    now = dt.datetime.now(dt.UTC)
    with Session(app.state.engine) as s:
        v = Vehicle(owner_id=owner_id, name="test car", make="Renault", model="Test",
                    year=2015, fuel="ES", cylinders=4, vehicle_type_id=vehicle_type_id,
                    plate=plate or f"T{uuid.uuid4().hex[:6].upper()}", created_at=now,
                    updated_at=now)  # fmt: skip
        s.add(v)
        s.commit()
        return v.id


class Driver(User):
    """A user with one vehicle linked to the world's vehicle type."""

    def __init__(self, client, app, world: World) -> None:
        super().__init__(client)
        self.vehicle_id = make_vehicle(app, self.id, world.vehicle_type_id)

    def put(self, url: str, **kw):
        return self.client.put(url, headers=self.headers, **kw)


class Staff(Driver):
    """A user who works for one garage."""

    def __init__(self, client, app, world: World, garage_id: int) -> None:
        super().__init__(client, app, world)
        with Session(app.state.engine) as s:
            link_staff(s, self.id, garage_id)
        self.garage_id = garage_id


@pytest.fixture
def driver(client, app, world) -> Driver:
    """A fresh driver with a car."""
    return Driver(client, app, world)


def quote_and_slot(driver: Driver, garage_id: int, work: dict, slot_index: int = 0):
    """Ask the quote at one garage and pick a free slot for it: (quote, slot start)."""
    r = driver.post("/v1/quotes", json={"vehicle_id": driver.vehicle_id,
                                        "garage_ids": [garage_id], **work})  # fmt: skip
    assert r.status_code == 200, r.text
    quote = r.json()[0]["quote"]
    minutes = quote["minutes"]
    slots = driver.client.get(f"/v1/garages/{garage_id}/slots", params={"service": "diagnosis"})
    assert slots.status_code == 200, slots.text
    assert minutes <= 60  # the diagnosis grid serves jobs up to an hour
    return quote, slots.json()[slot_index]["start"]


def book(driver: Driver, garage_id: int, work: dict, start: str, quote: dict, **kw):
    """POST /v1/bookings with consent to ``quote``."""
    body = {"garage_id": garage_id, "vehicle_id": driver.vehicle_id, "start": start,
            "quote_fingerprint": quote["fingerprint"], "consent": True, **work, **kw}  # fmt: skip
    return driver.post("/v1/bookings", json=body)
