"""Read the measurements, fields, tags and template variables an InfluxQL query refers to, and
check them against the collectors' schema (collectors/schema.py).

A small tokenizer and clause splitter for the InfluxQL the dashboards use (SELECT with functions,
arithmetic, subqueries, WHERE, GROUP BY, fill, ORDER BY, LIMIT; SHOW TAG VALUES): not a full
grammar, but strict about what it does not understand, so an unexpected query fails loudly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from collectors.schema import Schema

# Grafana's built-in macros for the InfluxDB data source.
MACROS = frozenset({"timeFilter", "__interval", "__interval_ms"})

_TOKEN = re.compile(
    r"""
    (?P<ident>"(?:[^"\\]|\\.)*")
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<var>\$\{?\w+\}?)
  | (?P<number>\d+(?:\.\d+)?(?:ns|u|µ|ms|s|m|h|d|w)?)
  | (?P<word>[A-Za-z_]\w*)
  | (?P<op>=~|!~|<>|!=|>=|<=|[=<>+\-*/%(),;])
  | (?P<space>\s+)
    """,
    re.VERBOSE,
)
_VARIABLE = re.compile(r"\$\{?(\w+)")
_REGEX = re.compile(r"/(?:[^/\\]|\\.)*/")
KEYWORDS = frozenset(
    [
        "select",
        "from",
        "where",
        "and",
        "or",
        "group",
        "by",
        "fill",
        "order",
        "desc",
        "asc",
        "limit",
        "slimit",
        "offset",
        "soffset",
        "as",
        "time",
        "true",
        "false",
        "now",
        "null",
        "none",
        "previous",
        "linear",
        "show",
        "tag",
        "values",
        "with",
        "key",
        "in",
        "tz",
    ]
)
_CLAUSES = ("select", "from", "where", "group", "fill", "order", "limit")


class QueryError(ValueError):
    """The query is not InfluxQL this reader understands."""


@dataclass(frozen=True)
class Token:
    kind: str  # ident, string, regex, var, number, word, op
    text: str

    @property
    def name(self) -> str:
        return self.text[1:-1].replace('\\"', '"') if self.kind == "ident" else self.text

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(query):
        if query[position] == "/" and tokens and tokens[-1].text in ("=~", "!~"):
            match = _REGEX.match(query, position)
            if match is None:
                raise QueryError(f"unterminated regular expression at {position}: {query!r}")
            tokens.append(Token("regex", match.group()))
            position = match.end()
            continue
        match = _TOKEN.match(query, position)
        if match is None:
            raise QueryError(f"unexpected {query[position : position + 20]!r} in {query!r}")
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group()))
        position = match.end()
    return tokens


@dataclass
class Reference:
    """What one SELECT (or SHOW) statement refers to; `inner` is its subquery, if any."""

    measurement: str | None = None
    fields: set[str] = field(default_factory=set)
    tags: set[str] = field(default_factory=set)  # compared with =~ or named in GROUP BY
    names: set[str] = field(default_factory=set)  # compared with a string: a tag or a str field
    aliases: set[str] = field(default_factory=set)
    variables: set[str] = field(default_factory=set)
    raw: bool = False  # a SELECT without functions: tags may be selected too
    inner: Reference | None = None


def references(query: str) -> Reference:
    tokens = tokenize(query)
    # Variables also hide inside regular expressions and strings (/^$device$/, '$site').
    variables = {
        name for t in tokens if t.kind in ("var", "regex", "string") for name in _VARIABLE.findall(t.text)
    }
    ref = _show(tokens) if tokens and tokens[0].is_word("show") else _select(tokens)
    ref.variables = variables
    return ref


def _show(tokens: list[Token]) -> Reference:
    words = [t.text.lower() for t in tokens[:3]]
    if words != ["show", "tag", "values"]:
        raise QueryError("only SHOW TAG VALUES is understood among SHOW statements")
    ref = Reference()
    for index, token in enumerate(tokens):
        if token.is_word("from"):
            ref.measurement = tokens[index + 1].name
        if token.is_word("key") and index + 2 < len(tokens):
            ref.tags.add(tokens[index + 2].name)
    return ref


def _split(tokens: list[Token]) -> dict[str, list[Token]]:
    """The statement's top-level clauses (outside parentheses), by their first keyword."""
    clauses: dict[str, list[Token]] = {}
    current: list[Token] | None = None
    depth = 0
    for token in tokens:
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
        if depth == 0 and token.kind == "word" and token.text.lower() in _CLAUSES:
            name = token.text.lower()
            if name in clauses:
                raise QueryError(f"{name.upper()} appears twice at the top level")
            current = clauses[name] = []
            continue
        if current is None:
            raise QueryError(f"a statement starts with SELECT, not {token.text!r}")
        current.append(token)
    if "select" not in clauses or "from" not in clauses:
        raise QueryError("a SELECT needs a FROM")
    return clauses


def _select(tokens: list[Token]) -> Reference:
    clauses = _split(tokens)
    ref = Reference()
    source = clauses["from"]
    if source and source[0].text == "(":
        if source[-1].text != ")":
            raise QueryError("a subquery must be the whole FROM clause")
        ref.inner = _select(source[1:-1])
    elif len(source) == 1 and source[0].kind in ("ident", "word"):
        ref.measurement = source[0].name
    else:
        raise QueryError("FROM takes one measurement or one subquery")

    select = clauses["select"]
    ref.raw = not any(
        t.kind == "word" and i + 1 < len(select) and select[i + 1].text == "(" for i, t in enumerate(select)
    )
    for index, token in enumerate(select):
        previous = select[index - 1] if index else None
        if previous is not None and previous.is_word("as"):
            ref.aliases.add(token.name)
        elif _is_identifier(token, select, index):
            ref.fields.add(token.name)

    where = clauses.get("where", [])
    for index, token in enumerate(where):
        if not _is_identifier(token, where, index):
            continue
        operator = where[index + 1].text if index + 1 < len(where) else ""
        operand = where[index + 2] if index + 2 < len(where) else None
        if operator in ("=~", "!~"):
            ref.tags.add(token.name)
        elif operand is not None and operand.kind == "string":
            ref.names.add(token.name)
        else:
            ref.fields.add(token.name)

    group = clauses.get("group", [])
    if group and not group[0].is_word("by"):
        raise QueryError("GROUP must be followed by BY")
    for index, token in enumerate(group[1:], start=1):
        if _is_identifier(token, group, index):
            ref.tags.add(token.name)
    return ref


def _is_identifier(token: Token, tokens: list[Token], index: int) -> bool:
    if token.kind == "ident":
        return True
    if token.kind != "word" or token.text.lower() in KEYWORDS:
        return False
    following = tokens[index + 1].text if index + 1 < len(tokens) else ""
    return following != "("  # a word before "(" is a function


def problems(query: str, schema: Schema, variables: set[str]) -> list[str]:
    """Everything in `query` that the schema does not declare, or an undefined template variable."""
    try:
        ref = references(query)
    except QueryError as exc:
        return [str(exc)]
    found = [f"${name} is not a dashboard variable" for name in sorted(ref.variables - MACROS - variables)]
    found.extend(_check(ref, schema))
    return found


def _check(ref: Reference, schema: Schema) -> list[str]:
    if ref.inner is not None:
        inner = ref.inner
        found = _check(inner, schema)
        # The outer query sees the inner one's columns: its aliases, fields and grouping tags.
        columns = inner.aliases | inner.fields | inner.tags
        for name in sorted((ref.fields | ref.names | ref.tags) - columns):
            found.append(f"{name!r} is not a column of the subquery")
        return found
    if ref.measurement is None or ref.measurement not in schema:
        return [f"measurement {ref.measurement!r} is not in the schema"]
    measurement = schema[ref.measurement]
    found = []
    tags, fields = measurement.tags, set(measurement.fields)
    selectable = fields | tags if ref.raw else fields
    for name in sorted(ref.fields - selectable):
        found.append(f"{measurement.name}: {name!r} is not a field")
    for name in sorted(ref.tags - tags):
        found.append(f"{measurement.name}: {name!r} is not a tag")
    strings = tags | {n for n, f in measurement.fields.items() if f.type == "str"}
    for name in sorted(ref.names - strings):
        found.append(f"{measurement.name}: {name!r} is neither a tag nor a string field")
    return found
