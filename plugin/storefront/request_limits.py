"""Cheap requests stay cheap: a cap on every body's size, and on a JSON body's shape, before any work.

:func:`limit_request` runs before every view of the plugin's blueprints (the
shopper's API, and the admin's pages and API once the admin's door check has
passed). A body over the endpoint's byte limit is a
:class:`~plugin.errors.RequestTooLarge` (413): refused from its
``Content-Length`` before it is read, and, sent without one (chunked), as
soon as what was read passes the limit. A JSON body nested deeper than :data:`MAX_JSON_DEPTH`,
or with a list or object of more than :data:`MAX_JSON_MEMBERS` members, is a
:class:`~plugin.errors.JSONTooComplex` (400) before any schema walks it.
"""
from __future__ import annotations

import io
import json

from flask import current_app, request

from ..errors import JSONTooComplex, RequestTooLarge

#: Levels of lists and objects a JSON body may nest (an import nests six).
MAX_JSON_DEPTH = 32
#: Members one JSON list or object may hold (an admin list holds at most 500, an import's records fewer).
MAX_JSON_MEMBERS = 2_000
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def limit_request(max_bytes: int) -> None:
    """Refuse a body over ``max_bytes`` (413), or JSON too deep or too long (400), before a view reads it.

    A shop's own, stricter ``MAX_CONTENT_LENGTH`` stays in force.
    """
    shop_limit = current_app._get_current_object().config.get("MAX_CONTENT_LENGTH")
    if shop_limit is not None:
        max_bytes = min(max_bytes, shop_limit)
    incoming = request._get_current_object()  # one look-up of the request, not one per line
    length = incoming.content_length
    if length is not None and length > max_bytes:
        raise _too_large(max_bytes)
    if length is None:
        _take_unannounced_body(max_bytes)
    incoming.max_content_length = max_bytes
    if incoming.method in _BODY_METHODS and incoming.is_json:
        try:
            document = incoming.get_json(silent=True)  # parsed once; the views read this cached value
        except RecursionError:
            raise JSONTooComplex(_too_deep()) from None
        check_json_shape(document)


def _take_unannounced_body(max_bytes: int) -> None:
    """A body sent without a ``Content-Length`` (chunked): read until it passes ``max_bytes``, then refuse it.

    Werkzeug would cut such a body at the limit without a word (a JSON document
    then reads as broken, a form as shorter); read here, it is a 413. A body
    within the limit is handed on with its length, as if it had been announced.
    """
    environ = request._get_current_object().environ
    if not environ.get("wsgi.input_terminated"):
        return  # the server does not end the stream: Werkzeug reads nothing of it
    stream, chunks, size = environ["wsgi.input"], [], 0
    while size <= max_bytes:
        chunk = stream.read(max_bytes + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > max_bytes:
        raise _too_large(max_bytes)
    environ["wsgi.input"] = io.BytesIO(b"".join(chunks))
    environ["CONTENT_LENGTH"] = str(size)
    del environ["wsgi.input_terminated"]


def _too_large(max_bytes: int) -> RequestTooLarge:
    return RequestTooLarge(f"The request is too large: this address takes at most {max_bytes:,} bytes.")


def load_json(text: str | bytes) -> object:
    """Parse a JSON document (an uploaded file), with the same limits as a JSON body.

    Raises :class:`ValueError` if it is not JSON, :class:`~plugin.errors.JSONTooComplex` if it is too complex.
    """
    try:
        document = json.loads(text)
    except RecursionError:
        raise JSONTooComplex(_too_deep()) from None
    check_json_shape(document)
    return document


def check_json_shape(document: object) -> None:
    """Raise :class:`~plugin.errors.JSONTooComplex` if ``document`` nests too deeply or has too long a list."""
    pending = [(document, 1)]
    while pending:  # no recursion: the depth is what is being checked
        value, depth = pending.pop()
        if isinstance(value, dict):
            members = value.values()
        elif isinstance(value, list):
            members = value
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            raise JSONTooComplex(_too_deep())
        if len(members) > MAX_JSON_MEMBERS:
            raise JSONTooComplex(
                f"A list or object in the JSON has too many members: at most {MAX_JSON_MEMBERS:,}.")
        pending.extend((member, depth + 1) for member in members if isinstance(member, (dict, list)))


def _too_deep() -> str:
    return f"The JSON is nested too deeply: at most {MAX_JSON_DEPTH} levels."
