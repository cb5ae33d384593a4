"""Text columns that name no series (``forecastr/ingest/textcols.py``): SDMX-CSV downloads
(Eurostat, ECB, OECD, IMF) carry columns of one value (``DATAFLOW``, ``unit``) and of flags;
they are left out, and the column that varies names the series."""

from __future__ import annotations

import pandas as pd
import pytest

from forecastr.data import load_csv
from forecastr.errors import InputError
from forecastr.ingest.options import IngestOptions

MONTHS = pd.date_range("2019-01-01", periods=48, freq="MS").strftime("%Y-%m")
HEADER = "DATAFLOW,LAST UPDATE,freq,unit,coicop,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG\n"


def sdmx(geos: list[str]) -> str:
    rows = [
        f"ESTAT:PRC_HICP_MIDX(1.0),17/04/24 11:00:00,M,I15,CP00,{geo},{m},"
        f"{100 + j + k * 0.3:.2f},{'p' if k % 10 == 0 else ''}"
        for j, geo in enumerate(geos)
        for k, m in enumerate(MONTHS)
    ]
    return HEADER + "\n".join(rows) + "\n"


@pytest.mark.parametrize("engine", ["pyarrow", "pandas"])
def test_an_sdmx_download_is_one_series_per_country(write_csv, engine, monkeypatch):
    import forecastr.ingest.csvread as csvread

    monkeypatch.setattr(csvread, "ENGINE", engine)
    panel = load_csv(write_csv(sdmx(["AT", "BE", "DE"])))
    assert panel.ids == ["AT", "BE", "DE"] and panel.freq == "MS" and len(panel.y) == 3 * 48
    assert panel.columns["target"] == ["OBS_VALUE"] and panel.y[0] == 100.0
    assert any("'DATAFLOW'" in n and "'OBS_FLAG'" in n and "left out" in n for n in panel.notes)


def test_an_sdmx_download_of_one_country_is_one_series(write_csv):
    panel = load_csv(write_csv(sdmx(["AT"])))
    assert len(panel.ids) == 1 and len(panel.y) == 48 and panel.freq == "MS"


def test_a_named_target_reads_the_same(write_csv):
    panel = load_csv(write_csv(sdmx(["AT", "BE"])), IngestOptions(target="OBS_VALUE"))
    assert panel.ids == ["AT", "BE"] and len(panel.y) == 96


def test_a_file_sorted_by_series_past_its_first_rows(write_csv):
    # 300 rows per series: the first rows show one entity, so both text columns look constant
    days = pd.date_range("2020-01-01", periods=300, freq="D").strftime("%Y-%m-%d")
    rows = "".join(f"{e},GDP,{d},{k % 7 + j}\n" for j, e in enumerate(["France", "Spain"])
                   for k, d in enumerate(days))  # fmt: skip
    panel = load_csv(write_csv("entity,indicator,date,value\n" + rows))
    # the first such column alone tells them apart; the other, one text throughout, is left out
    assert panel.ids == ["France", "Spain"] and len(panel.y) == 600
    assert any("series told apart by 'entity' (" in n for n in panel.notes)
    assert any("'indicator' left out" in n for n in panel.notes)
    # where it does not (two indicators per entity), both columns are the id
    rows = "".join(f"{e},{i},{d},{k % 7 + j + len(i) * (i == 'GDP')}\n"
                   for j, e in enumerate(["France", "Spain"])
                   for i in ("GDP", "CPI") for k, d in enumerate(days))  # fmt: skip
    panel = load_csv(write_csv("entity,indicator,date,value\n" + rows, "two.csv"))
    assert sorted(panel.ids) == ["France/CPI", "France/GDP", "Spain/CPI", "Spain/GDP"]
    assert any("series told apart by 'entity' and 'indicator'" in n for n in panel.notes)


def test_a_file_sorted_by_country_with_a_blank_code_for_a_region(write_csv):
    """Our World in Data's daily files: `Entity,Code,Day,...`, the code blank for regions.
    The first rows show one country, so name and code look constant; the name alone is the
    id, and the region with no code is a series like the others (it was refused: an empty
    series id in 'Entity+Code')."""
    days = pd.date_range("2020-01-01", periods=300, freq="D").strftime("%Y-%m-%d")
    places = [("Afghanistan", "AFG"), ("Africa", ""), ("Albania", "ALB")]
    rows = "".join(f"{e},{c},{d},{k % 7 + j}\n" for j, (e, c) in enumerate(places)
                   for k, d in enumerate(days))  # fmt: skip
    panel = load_csv(write_csv("Entity,Code,Day,new_cases\n" + rows))
    assert panel.ids == ["Afghanistan", "Africa", "Albania"] and len(panel.y) == 900
    assert panel.columns["id"] == "Entity"


def test_two_labels_of_one_value_are_one_series(write_csv):
    panel = load_csv(write_csv("store,ds,region,sales\na,2020-01-01,n,1\na,2020-01-02,n,2\n"))
    assert len(panel.ids) == 1 and panel.y.tolist() == [1.0, 2.0]
    assert any("'store', 'region' left out" in n for n in panel.notes)


@pytest.mark.parametrize("engine", ["pyarrow", "pandas"])
def test_a_eurostat_tsv_with_flags_and_missing_values(write_csv, engine, monkeypatch):
    # tab-separated, dimension keys joined by commas in the first column, "100.5 p" (a
    # provisional value), ":" and ": c" (missing, confidential)
    import forecastr.ingest.csvread as csvread

    monkeypatch.setattr(csvread, "ENGINE", engine)
    header = "freq,unit,coicop,geo\\TIME_PERIOD\t" + "\t".join(MONTHS) + "\n"
    rows = ""
    for j, geo in enumerate(["AT", "BE"]):
        cells = [f"{100 + j + k * 0.5:.1f}" + (" p" if k % 10 == 3 else "") for k in range(48)]
        if geo == "BE":
            cells[:2] = [":", ": c"]
        rows += f"M,I15,CP00,{geo}\t" + "\t".join(cells) + "\n"
    panel = load_csv(write_csv(header + rows, "prc_hicp.tsv"))
    assert panel.ids == ["M,I15,CP00,AT", "M,I15,CP00,BE"] and panel.freq == "MS"
    assert len(panel.y) == 48 + 46 and panel.y[3] == 101.5  # the flag read off
    assert any(
        "10 values with letters after them (like '101.5 p': flags)" in n for n in panel.notes
    )


@pytest.mark.parametrize("header", ["date,temp,weather,wind_dir,load", "date,weather,load"])
def test_labels_of_each_time_are_left_out(write_csv, header):
    # text that comes back after other text (a weather, a wind direction) names no series:
    # such columns were refused when there were two, or when one stood beside one value
    days = pd.date_range("2020-01-01", periods=60, freq="D").strftime("%Y-%m-%d")
    labels = {"weather": ["Rain", "Clear", "Clouds"], "wind_dir": ["N", "S", "E", "W"]}
    names = header.split(",")[1:]
    rows = "".join(
        d + "," + ",".join(labels[n][k % len(labels[n])] if n in labels else f"{k % 7}.5"
                           for n in names) + "\n"
        for k, d in enumerate(days)
    )  # fmt: skip
    panel = load_csv(write_csv(header + "\n" + rows))
    kept = [n for n in names if n not in labels]
    assert panel.ids == kept and len(panel.y) == 60 * len(kept)
    left = [n for n in names if n in labels]
    assert any(", ".join(f"'{n}'" for n in left) + " left out" in note for note in panel.notes)


def test_a_series_id_beside_labels_is_still_the_id(write_csv):
    rows = "".join(f"{s},2020-01-0{d},{['N', 'S'][d % 2]},{d}\n" for s in "ab" for d in range(1, 8))
    panel = load_csv(write_csv("station,date,wind,y\n" + rows))
    assert panel.ids == ["a", "b"] and len(panel.y) == 14


def owid(entities: dict[str, str], years: range, sort_by_year: bool = False) -> str:
    """Our World in Data's long layout: a country's name, its code (blank for a region), the
    year, the values."""
    rows = [
        (year, f"{name},{code},{year},{1000 + 10 * j + k:.1f}")
        for j, (name, code) in enumerate(entities.items())
        for k, year in enumerate(years)
    ]
    if sort_by_year:
        rows.sort(key=lambda r: r[0])
    return "Entity,Code,Year,co2\n" + "\n".join(r for _, r in rows) + "\n"


COUNTRIES = {"France": "FRA", "Germany": "DEU", "Spain": "ESP", "Italy": "ITA"}


@pytest.mark.parametrize("by_year", [False, True])
def test_a_name_and_its_code_are_one_series_id(write_csv, by_year):
    # Both columns tell the series apart; before, the file was refused as two text columns.
    panel = load_csv(write_csv(owid(COUNTRIES, range(1990, 2023), sort_by_year=by_year)))
    assert sorted(panel.ids) == sorted(COUNTRIES)
    assert panel.columns["target"] == ["co2"] and len(panel.y) == 4 * 33
    assert any("'Code' left out" in n and "'Entity'" in n for n in panel.notes)


def test_codes_blank_for_regions_are_labels_not_values(write_csv):
    # OWID leaves the code of a region (Africa, World) empty: the code cannot be the id, and
    # it was taken for a second value column ("cannot tell which column holds the values").
    entities = {"Africa": "", "France": "FRA", "Germany": "DEU", "World": ""}
    for options in (IngestOptions(), IngestOptions(id_col="Entity")):
        panel = load_csv(write_csv(owid(entities, range(1990, 2023))), options)
        assert sorted(panel.ids) == sorted(entities) and panel.columns["target"] == ["co2"]
        assert panel.y[0] == 1000.0


def test_a_label_that_varies_within_a_series_holds_no_values(write_csv):
    # A text column that changes within one series is no label of each series, and no
    # values either: the one column of numbers holds them.
    rows = "".join(
        f"{e},{'up' if k % 2 else 'down'},{1990 + k},{k}\n" for e in ("a", "b") for k in range(20)
    )
    panel = load_csv(write_csv("Entity,trend,Year,co2\n" + rows), IngestOptions(id_col="Entity"))
    assert panel.ids == ["a", "b"] and panel.y[:3].tolist() == [0.0, 1.0, 2.0]
    # two columns of numbers beside it: which holds the values is asked, of those two
    rows = "".join(f"{e},up,{1990 + k},{k},{2 * k}\n" for e in ("a", "b") for k in range(20))
    with pytest.raises(InputError, match=r"pass --target \(columns: co2, ch4\)"):
        load_csv(write_csv("Entity,trend,Year,co2,ch4\n" + rows, "two.csv"))


def test_a_label_that_changes_while_the_times_run_on_is_no_series_id(write_csv):
    """A daily file whose dates never repeat, with a season label in runs (30 days 'mid', 62
    'high', ...): one series with a label beside it, not four series with gaps between
    their runs; series written one after another start their times over."""
    days = pd.date_range("2024-06-01", periods=150, freq="D")
    season = ["mid"] * 30 + ["high"] * 62 + ["low"] * 58
    cells = enumerate(zip(days, season, strict=True))
    rows = "".join(f"{d:%Y-%m-%d},{s},{100 + k % 7}\n" for k, (d, s) in cells)
    panel = load_csv(write_csv("check_in_date,season,total_cost\n" + rows))
    assert panel.layout == "single" and panel.ids == ["total_cost"] and len(panel.y) == 150
    assert any("'season' left out" in n for n in panel.notes)
    # the same runs, each series' days from 1 June again: three series
    rows = "".join(f"{days[k % 50]:%Y-%m-%d},{s},{k % 7}\n" for k, s in enumerate(["a"] * 50
                   + ["b"] * 50 + ["c"] * 50))  # fmt: skip
    panel = load_csv(write_csv("day,store,sales\n" + rows, "stores.csv"))
    assert panel.layout == "long" and panel.ids == ["a", "b", "c"]
