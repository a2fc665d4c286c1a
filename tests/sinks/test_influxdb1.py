"""The encoder's lines are accepted by InfluxDB 1.6, the strict server (`/write`), and read back
exactly: tags and strings with Vietnamese text, spaces, commas, equals signs, quotes and
backslashes, and no field type conflict over several polls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.samples import Sample
from collectors.sinks.influx import SpoolingInfluxSink
from collectors.sinks.lineprotocol import LineEncoder
from collectors.sinks.spool import Spool
from tests.sinks import realistic
from tests.sinks.support import RecordingWriter, target
from tests.support.tsdb import InfluxDB1, influxdb1, victoria_metrics

pytestmark = pytest.mark.peer("influxd")

DB = "eams"


@pytest.fixture(scope="module")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxDB1]:
    with influxdb1(tmp_path_factory.mktemp("influxd")) as server:
        server.query(f"CREATE DATABASE {DB}")
        yield server


def series_values(influx: InfluxDB1, query: str) -> list[list[object]]:
    result = influx.query(query, db=DB)["results"][0]
    assert "error" not in result, result
    return [row for series in result.get("series", []) for row in series["values"]]


def test_several_polls_of_realistic_samples_are_accepted_without_a_field_type_conflict(
    influx: InfluxDB1,
) -> None:
    encoder = LineEncoder()
    polls = realistic.polls(6)
    for samples in polls:
        status, body = influx.write(DB, encoder.encode_batch(samples))
        assert (status, body) == (204, "")
    assert encoder.stats.type_conflicts == 0

    field_types = {
        (measurement["name"], key): kind
        for measurement in influx.query("SHOW FIELD KEYS", db=DB)["results"][0]["series"]
        for key, kind in measurement["values"]
    }
    assert field_types[("interface", "ifHCInOctets")] == "integer"
    assert field_types[("interface", "ifAlias")] == "string"
    assert field_types[("cpu", "usage")] == "float"
    assert field_types[("memory", "utilisation")] == "float"
    assert field_types[("system", "reachable")] == "boolean"

    written = sum(len(samples) for samples in polls)
    counts = series_values(influx, 'SELECT count("ifHighSpeed") FROM "interface"')
    counts += series_values(influx, 'SELECT count("usage") FROM "cpu"')
    counts += series_values(influx, 'SELECT count("used") FROM "memory"')
    counts += series_values(influx, 'SELECT count("uptime") FROM "system"')
    assert sum(int(row[1]) for row in counts) == written  # type: ignore[call-overload]


def test_tags_and_strings_read_back_exactly_as_sampled(influx: InfluxDB1) -> None:
    sample = realistic.poll(0, devices=1, interfaces=5)[0:5]
    status, body = influx.write(DB, LineEncoder().encode_batch(sample))
    assert (status, body) == (204, "")

    rows = series_values(
        influx,
        f'SELECT "ifAlias", "ifName", "site", "agency" FROM "interface" WHERE time = {realistic.START_NS}',
    )
    by_name = {row[2]: row for row in rows}
    for s in sample:
        row = by_name[s.tags["ifName"]]
        assert row[1] == s.fields["ifAlias"]  # string field: exact, whatever it contains
        assert row[3] == "Trung tâm dữ liệu tỉnh"
        assert row[4] == "Sở KH&CN"
    aliases = {
        value
        for _key, value in series_values(influx, 'SHOW TAG VALUES FROM "interface" WITH KEY = "ifAlias"')
    }
    assert "Uplink lên Sở Y tế, tầng 3" in aliases
    assert "Cổng dịch vụ công (DVC) = VLAN 20" in aliases
    assert 'Kết nối "LGSP" tỉnh' in aliases
    # InfluxDB 1.x keeps the backslash we had to double before an escaped space (documented).
    assert "C:\\\\ Label:  Serial Number 5c1e1dd3" in aliases


def test_a_type_change_is_what_influxdb_rejects_and_what_the_encoder_prevents(influx: InfluxDB1) -> None:
    first = Sample("ups", {"device": "ups-01"}, {"load": 41}, time_ns=1_700_000_000_000_000_000)
    later = Sample("ups", {"device": "ups-01"}, {"load": 41.5}, time_ns=1_700_000_020_000_000_000)
    naive = LineEncoder()
    assert influx.write(DB, naive.encode_batch([first]))[0] == 204
    # A fresh encoder does not know the field is an integer: InfluxDB refuses the float.
    status, body = influx.write(DB, LineEncoder().encode_batch([later]))
    assert status == 400 and "field type conflict" in body
    # The encoder that wrote the integer drops the conflicting value instead of poisoning the batch.
    other = Sample("ups", {"device": "ups-02"}, {"load": 7}, time_ns=1_700_000_020_000_000_000)
    assert naive.encode_batch([later, other]) == b"ups,device=ups-02 load=7i 1700000020000000000"
    assert naive.stats.type_conflicts == 1


def test_lines_with_backslashes_newlines_and_quotes_are_all_accepted(influx: InfluxDB1) -> None:
    awkward = ["A:\\", "a\\b", "a\\,b", "x\ny", 'q"q', "tab\there", "=", ",", " ", "\\\\"]
    samples = [
        Sample(
            "awkward",
            {"value": text, f"k{i}{text}": "x"},
            {"text": text + "\\", f"f{text}": i},
            time_ns=1_700_000_000_000_000_000 + i,
        )
        for i, text in enumerate(awkward)
    ]
    status, body = influx.write(DB, LineEncoder().encode_batch(samples))
    assert (status, body) == (204, "")
    texts = [row[1] for row in series_values(influx, 'SELECT "text" FROM "awkward"')]
    assert texts == [text + "\\" for text in awkward]


@pytest.mark.peer("victoria-metrics")
async def test_the_bodies_the_sink_sent_through_influxdb_client_are_accepted_by_influxdb_1(
    influx: InfluxDB1, tmp_path: Path
) -> None:
    with victoria_metrics(tmp_path / "vm") as vm:
        writer = RecordingWriter(target(vm.url))
        sink = SpoolingInfluxSink(Spool(tmp_path / "spool"), writer, state_interval=None)
        await sink.start()
        for samples in realistic.polls(4, devices=2):
            await sink.consume_samples(samples)
            await sink.flush()
        await sink.stop()
    influx.query("CREATE DATABASE replayed")
    for body in writer.accepted:  # byte for byte what influxdb-client posted
        status, text = influx.write("replayed", body)
        assert (status, text) == (204, "")
    result = influx.query('SELECT count("ifHighSpeed") FROM "interface"', db="replayed")["results"][0]
    assert result["series"][0]["values"][0][1] == 4 * 2 * 4
