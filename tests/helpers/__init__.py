"""The API drivers the tests share, so that a change of the API is followed in one place:
signing up, in and pairing (``members``), check-ins (``checkins``), protocols (``protocols``),
the inbox (``inbox``), stored rows (``rows``) and a clock the code under test takes
(``clock``). The most used are importable from ``tests.helpers`` itself."""

from tests.helpers.members import PASSWORD, Member, couple, error_code, pair, register

__all__ = ["PASSWORD", "Member", "couple", "error_code", "pair", "register"]
