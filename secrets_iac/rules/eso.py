"""ESO (v2.9) rules that its admission webhook or its AWS provider enforce only at deploy time.

The config model and the ESO builders both call these, so a stack file fails at load with the same reason
the cluster would give later.
"""

from __future__ import annotations

import re
from typing import Final

RECOVERY_WINDOW_MIN_DAYS: Final = 7
RECOVERY_WINDOW_MAX_DAYS: Final = 30


def target_policy_problem(creation_policy: str, deletion_policy: str) -> str | None:
    """Why a target's creation/deletion policy pair is refused, or None.

    `Delete` requires `Owner` (the v2.9 webhook rejects Merge, None and CreateOrMerge; Orphan gets through
    but ESO only deletes Secrets it owns, so it is refused here too); `Merge` needs a Secret to merge with.
    """
    if deletion_policy == "Delete" and creation_policy != "Owner":
        return f"deletionPolicy Delete needs creationPolicy Owner (creationPolicy is {creation_policy})"
    if deletion_policy == "Merge" and creation_policy == "None":
        return "deletionPolicy Merge cannot be used with creationPolicy None"
    return None


def recovery_window_problem(days: object) -> str | None:
    """Secrets Manager keeps a deleted secret 7-30 days; ESO passes the window on PushSecret deletes."""
    if isinstance(days, bool) or not isinstance(days, int):
        return f"{days!r} is not a number of days"
    if not RECOVERY_WINDOW_MIN_DAYS <= days <= RECOVERY_WINDOW_MAX_DAYS:
        return (
            f"{days} is outside the {RECOVERY_WINDOW_MIN_DAYS}-{RECOVERY_WINDOW_MAX_DAYS} days "
            "Secrets Manager allows"
        )
    return None


_NOT_RE2 = re.compile(r"\(\?[=!]|\(\?<[=!]|\\[1-9]|\(\?P=")


def go_regexp_problem(value: object) -> str | None:
    """Why Go's RE2 would not compile `value` (Python `re` minus lookaround and backreferences), or None."""
    if not isinstance(value, str) or not value:
        return "must be a non-empty regular expression"
    if _NOT_RE2.search(value):
        return "uses lookaround or backreferences, which Go's RE2 regexp does not support"
    try:
        re.compile(value)
    except re.error as exc:
        return f"does not compile: {exc}"
    return None


def _top_level_alternatives(pattern: str) -> list[str]:
    """Split a regexp on ``|`` outside groups and character classes."""
    parts: list[str] = []
    depth, escaped, start = 0, False, 0
    class_open = -1  # index of the '[' of the character class we are in, or -1
    for i, ch in enumerate(pattern):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif class_open >= 0:
            first = class_open + (2 if pattern[class_open + 1 : class_open + 2] == "^" else 1)
            if ch == "]" and i > first:  # a ']' right after '[' or '[^' is a literal
                class_open = -1
        elif ch == "[":
            class_open = i
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    return parts


def _ends_with_unescaped_dollar(text: str) -> bool:
    if not text.endswith("$"):
        return False
    backslashes = len(text[:-1]) - len(text[:-1].rstrip("\\"))
    return backslashes % 2 == 0


def anchoring_problem(pattern: str) -> str | None:
    """ESO matches namespace regexes unanchored (`regexp.MatchString`): each alternative must be `^...$`."""
    for alt in _top_level_alternatives(pattern):
        if not alt.startswith("^") or not _ends_with_unescaped_dollar(alt):
            return (
                "must be anchored as '^...$' (each '|' alternative too): ESO uses unanchored Go "
                "regexp.MatchString, so 'team-a' would also match 'xteam-a-1'"
            )
    return None
