"""A tiny hand-written catalogue, imported through the real importers, for exact asserts."""

# ruff: noqa: E501 - CSV rows are data, kept on one line each

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from parts.importers import import_csv

VEHICLES = """ktype;make;model;variant;engine_code;capacity_cc;power_kw;fuel;year_from;year_to;type_code;cnit
1001;Renault;Clio III;1.5 dCi 85;K9K;1461;63;GO;2005;2012;BR0E0F;M10RENVP000E123
1002;Peugeot;208;1.2 PureTech;HMZ;1199;60;ES;2012;2019;CAHMZ;M10PEUVP000A456
1003;Dacia;Sandero;1.5 dCi;K9K;1461;50;GO;2008;2012;BSD0E;M10DACVP000B789
"""
ARTICLES = """brand,article_number,part_type,name,gtin,attr_voltage
ALPHA,TH-100,thermostat,Thermostat 89°C,4006381333931,
BRAVO,TH 200,thermostat,Thermostat with housing,,
CHARLIE,TH.300,thermostat,Thermostat économique,,
DELTA,TH400,thermostat,Thermostat (chassis-dependent),,
ECHO,TH500,thermostat,Thermostat for K9K engines,,
BOSCH,0 280 218 119,maf_sensor,Air mass meter,,12
NGK,BKR6E,spark_plug,Spark plug,,
NGK,BKR6E-11,spark_plug,Spark plug (superseded),,
NGK,BKR7E,spark_plug,Spark plug hot,,
"""
OE = """brand,article_number,oe_brand,oe_number
ALPHA,TH-100,Renault,8200 561 434
BRAVO,TH 200,Renault,8200.561.434
BOSCH,0 280 218 119,Renault,8200 280 060
"""
CROSSREFS = """brand,article_number,other_brand,other_article_number,kind
NGK,BKR6E-11,NGK,BKR6E,superseded_by
NGK,BKR6E,NGK,BKR7E,equivalent
"""
FITMENTS = """brand,article_number,ktype,cnit,engine_code,position,year_from,year_to,quantity,qualifiers
ALPHA,TH-100,1001,,,,,,1,
BRAVO,TH200,,M10RENVP000E123,,,,,1,
CHARLIE,TH300,1001,,,,,,1,
DELTA,TH400,1001,,,,,,1,from chassis no. 123456
ECHO,TH500,,,K9K,,,,1,
BOSCH,0280218119,1001,,,,,,1,
NGK,BKR6E,1002,,,,,,3,
"""
OFFERS = """supplier,brand,article_number,price,currency,stock,delivery_days
S1,ALPHA,TH-100,"20,00",EUR,5,1
S1,BRAVO,TH 200,10.00,EUR,2,2
S2,BRAVO,TH 200,9.00,EUR,0,2
S1,CHARLIE,TH.300,5.00,EUR,0,3
S1,DELTA,TH400,1.00,EUR,9,1
S1,ECHO,TH500,1.00,EUR,9,1
S1,BOSCH,0280218119,129.90,EUR,1,1
"""
FILES = (
    ("vehicles", VEHICLES),
    ("articles", ARTICLES),
    ("oe", OE),
    ("crossrefs", CROSSREFS),
    ("fitments", FITMENTS),
    ("offers", OFFERS),
)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    """Write a CSV file (text as UTF-8, bytes as is) and return its path."""
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def load(engine: Engine, tmp_path: Path) -> None:
    """Import the tiny catalogue; every row must be accepted."""
    for kind, content in FILES:
        report = import_csv(engine, kind, write(tmp_path, f"{kind}.csv", content))
        assert report.rejected_count == 0, report.rejected
