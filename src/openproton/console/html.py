"""The console's HTML: one layout, escaped values, tables that stack on a narrow screen. No JavaScript."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from . import PREFIX

NAV = (
    ("connections", "Connections"),
    ("environments", "Environments"),
    ("services", "Services"),
    ("templates", "Templates"),
    ("repositories", "Repositories"),
    ("audit", "Audit log"),
)
REGIONS = ("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1", "ap-southeast-2")


def e(value: Any) -> str:
    return "" if value is None else escape(str(value), quote=True)


def url(*parts: str, **query: Any) -> str:
    path = "/".join([PREFIX, *(quote(part, safe="") for part in parts)])
    kept = {key: value for key, value in query.items() if value not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


def when(value: Any) -> str:
    """An API timestamp (epoch seconds) as UTC text."""
    if value is None:
        return ""
    moment = dt.datetime.fromtimestamp(float(value), dt.UTC)
    return f'<time datetime="{moment.isoformat()}">{moment:%Y-%m-%d %H:%M:%S} UTC</time>'


# After each ':' and '/' of an ARN: the places it may break across lines (its hyphens are the others).
_ARN_PARTS = re.compile(r"(?<=[:/])")


def arn(value: Any) -> str:
    """An ARN in monospace that wraps between its parts, never inside a word (console.css, .arn)."""
    if not value:
        return ""
    parts = (e(part) for part in _ARN_PARTS.split(str(value)) if part)
    return f'<span class="mono arn">{"<wbr>".join(parts)}</span>'


def words(value: Any) -> str:
    """A CamelCase name (an operation) that may break between its words on a narrow screen."""
    return "<wbr>".join(e(word) for word in re.findall(r"[A-Z]?[^A-Z]+|[A-Z]+(?![^A-Z])", str(value or "")))


def nowrap(value: Any) -> str:
    """A short value that reads wrongly broken across lines, such as a region name."""
    return f'<span class="nowrap">{e(value)}</span>' if value else ""


def status(value: Any) -> str:
    return f'<span class="status {e(value)}">{e(value)}</span>' if value else ""


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, empty: str, caption: str = "") -> str:
    """Cells are HTML already (escape values with e()); each carries its header for the stacked narrow layout."""
    body = [
        "<tr>" + "".join(f'<td data-label="{e(h)}">{cell}</td>' for h, cell in zip(headers, row, strict=True)) + "</tr>"
        for row in rows
    ]
    if not body:
        return f"<p>{e(empty)}</p>"
    head = "".join(f'<th scope="col">{e(h)}</th>' for h in headers)
    cap = f"<caption class='skip'>{e(caption)}</caption>" if caption else ""
    rows_html = "".join(body)
    return (
        f'<div class="scroll"><table class="stack">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{rows_html}</tbody></table></div>"
    )


def details(items: Iterable[tuple[str, str]]) -> str:
    return "<dl>" + "".join(f"<dt>{e(name)}</dt><dd>{value or '—'}</dd>" for name, value in items) + "</dl>"


def button(
    action: str,
    label: str,
    csrf: str,
    *,
    style: str = "",
    fields: dict[str, str] | None = None,
    describe: str = "",
) -> str:
    """A one-button form; `describe` names what it acts on for screen readers (rows repeat the same labels)."""
    hidden = "".join(f'<input type="hidden" name="{e(k)}" value="{e(v)}">' for k, v in (fields or {}).items())
    name = f' aria-label="{e(label)} {e(describe)}"' if describe else ""
    return (
        f'<form method="post" action="{e(action)}"><input type="hidden" name="csrf" value="{e(csrf)}">{hidden}'
        f'<button type="submit" class="{e(style)}"{name}>{e(label)}</button></form>'
    )


def field(name: str, label: str, *, value: str = "", required: bool = False, hint: str = "") -> str:
    ident = f"f-{name}"
    need = " required" if required else ""
    described = f' aria-describedby="{ident}-hint"' if hint else ""
    hint_html = f'<div id="{ident}-hint" class="hint">{e(hint)}</div>' if hint else ""
    return (
        f'<label for="{ident}">{e(label)}</label>'
        f'<input id="{ident}" name="{e(name)}" value="{e(value)}"{need}{described}>{hint_html}'
    )


def page(
    title: str,
    content: str,
    *,
    section: str,
    who: str,
    notice: str = "",
    error: str = "",
    done: str = "",
) -> bytes:
    links = "".join(
        f'<li><a href="{url(key)}"{" aria-current=page" if key == section else ""}>{label}</a></li>'
        for key, label in NAV
    )
    banners = "".join(
        f'<div class="{kind}" role="{role}">{text}</div>'
        for kind, role, text in (("notice", "note", notice), ("error", "alert", error), ("done", "status", done))
        if text
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} · OpenProton console</title><link rel="stylesheet" href="{PREFIX}/static/console.css"></head>
<body><a class="skip" href="#main">Skip to content</a>
<header><a class="brand" href="{url("connections")}">OpenProton</a>
<nav aria-label="Sections"><ul>{links}</ul></nav><div class="who">{who}</div></header>
<main id="main"><h1>{e(title)}</h1>{banners}{content}</main></body></html>""".encode()
