"""Every InfluxQL query of every dashboard names only measurements, fields and tags the collectors'
schema declares, and only template variables the dashboard defines."""

from __future__ import annotations

import pytest

from collectors.schema import build_schema
from dashboards.influxql import QueryError, problems, references
from tests.dashboards.panels import ALL_QUERIES, BOARDS, Query, variables

SCHEMA = build_schema()
VARIABLES = {board["uid"]: variables(board) for board in BOARDS}


@pytest.mark.parametrize("query", ALL_QUERIES, ids=lambda q: q.label)
def test_query_refers_only_to_the_schema(query: Query) -> None:
    assert problems(query.text, SCHEMA, VARIABLES[query.board]) == []


def test_every_dashboard_has_queries() -> None:
    assert {q.board for q in ALL_QUERIES} == {board["uid"] for board in BOARDS}


def test_the_reader_finds_fields_tags_and_variables() -> None:
    ref = references(
        'SELECT non_negative_derivative(last("in_octets"), 1s) * 8 AS "in" FROM "interface" '
        'WHERE "device" =~ /^$device$/ AND "role" = \'switch\' AND "speed_mbps" > 0 AND $timeFilter '
        'GROUP BY time($__interval), "ifName" fill(none)'
    )
    assert ref.measurement == "interface"
    assert ref.fields == {"in_octets", "speed_mbps"}
    assert ref.tags == {"device", "ifName"}
    assert ref.names == {"role"}
    assert ref.aliases == {"in"}
    assert ref.variables == {"device", "timeFilter", "__interval"}


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ('SELECT last("in_octet") FROM "interface" WHERE $timeFilter', "'in_octet' is not a field"),
        ('SELECT last("in_octets") FROM "interfaces" WHERE $timeFilter', "measurement 'interfaces'"),
        (
            'SELECT last("in_octets") FROM "interface" WHERE $timeFilter GROUP BY "port"',
            "'port' is not a tag",
        ),
        ('SELECT last("in_octets") FROM "interface" WHERE "ifname" =~ /x/', "'ifname' is not a tag"),
        ('SELECT last("in_octets") FROM "interface" WHERE "speed_mbps" = \'x\'', "nor a string field"),
        ('SELECT last("in_octets") FROM "interface" WHERE "device" =~ /^$host$/', "$host is not a dashboard"),
        ('SELECT count("x") FROM (SELECT last("in_octets") AS "y" FROM "interface")', "'x' is not a column"),
        ('SELECT "ifName" FROM "interface" GROUP BY "ifName"', ""),
        ('SELECT max("ifName") FROM "interface"', "'ifName' is not a field"),
    ],
)
def test_the_check_catches_what_the_schema_does_not_declare(query: str, problem: str) -> None:
    found = problems(query, SCHEMA, {"device"})
    if problem:
        assert any(problem in p for p in found), found
    else:
        assert found == []  # a raw SELECT may name tags


def test_what_the_reader_does_not_understand_is_an_error() -> None:
    with pytest.raises(QueryError):
        references("DROP MEASUREMENT interface")
    assert problems("SELECT x", SCHEMA, set()) == ["a SELECT needs a FROM"]


def test_render_refuses_a_dashboard_whose_query_leaves_the_schema() -> None:
    from dashboards.render import dashboards, schema_problems

    boards = dashboards()
    assert schema_problems(boards, SCHEMA) == []
    boards[1]["panels"][1]["targets"][0]["query"] = (
        'SELECT last("uptime") FROM "snmp_system" WHERE $timeFilter'
    )
    assert schema_problems(boards, SCHEMA) == [
        "eams-device / Answering A: snmp_system: 'uptime' is not a field"
    ]
