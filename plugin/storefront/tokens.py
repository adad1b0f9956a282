"""Signed tokens kept for the rest of the second they were stamped in.

itsdangerous' timed serializers stamp whole seconds (``TimestampSigner.get_timestamp``: ``int(time.time())``), and
signing is deterministic: within one second, one key, one salt and one payload always give the same token. A shopper's
add and the cart API call and product panel refresh that follow it come within the same second, and each signs the
panel's tokens again (a serializer built, its key derived, an HMAC, and for Flask-WTF's CSRF token a zlib attempt that
sets up a compressor of a few hundred KB). :class:`SecondMemo` keeps what the signer itself made, under everything the
token depends on, for the second the token carries, and gives it out only while itsdangerous' clock still reads that
second.
"""
from __future__ import annotations

from collections.abc import Hashable

from itsdangerous import timed
from itsdangerous.encoding import base64_decode, bytes_to_int


def now_second() -> int:
    """The second itsdangerous' ``TimestampSigner`` would stamp now (it reads ``itsdangerous.timed.time``)."""
    return int(timed.time.time())


def stamped_second(token: str) -> int | None:
    """The second itsdangerous stamped ``token`` with (``payload.timestamp.signature``), or ``None``."""
    try:
        return bytes_to_int(base64_decode(token.rsplit(".", 2)[-2]))
    except Exception:  # not the shape itsdangerous makes: never kept
        return None


class SecondMemo:
    """At most ``size`` tokens, all stamped in one second: a token of a later second replaces the lot.

    The second and its tokens are one tuple, replaced as a whole, so a thread never finds a token filed under a
    second it was not stamped in (threads racing may each sign, and lose a keep: never a wrong token).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: tuple[int, dict[Hashable, str]] = (-1, {})

    def get(self, key: Hashable) -> str | None:
        """The token kept for ``key`` if it was stamped in the second itsdangerous' clock reads now."""
        second, tokens = self._kept
        return tokens.get(key) if second == now_second() else None

    def keep(self, key: Hashable, token: str) -> None:
        """Keep ``token``, just made by the signer for ``key``, under the second it carries."""
        stamped = stamped_second(token)
        if stamped is None:
            return
        second, tokens = self._kept
        if stamped == second:
            if len(tokens) < self.size:
                tokens[key] = token
        elif stamped > second:  # an earlier second's token (a clock set back) is never looked up again: not kept
            self._kept = (stamped, {key: token})

    def clear(self) -> None:
        self._kept = (-1, {})

    def __len__(self) -> int:
        return len(self._kept[1])
