"""`SecretValue` and `Concealed`: plaintext that never shows itself in logs, reprs, f-strings or pickles.

Only the code that hands the value to AWS (or writes the encrypted file) calls `reveal()`.
`dataclasses.asdict` deep-copies field values, so a dataclass holding these still shows only masks.
"""

from __future__ import annotations

import copy
import dataclasses
import hmac
from typing import Any, Generic, NoReturn, TypeVar

MASK = "***"
T = TypeVar("T")


class SecretValue:
    """An immutable secret: `repr`/`str`/format print `SecretValue(***)`; compare in constant time."""

    __slots__ = ("_value",)
    _value: bytes

    def __init__(self, value: str | bytes) -> None:
        data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        object.__setattr__(self, "_value", data)

    def reveal(self) -> str:
        """The plaintext as text (UTF-8; undecodable bytes are replaced)."""
        return self._value.decode("utf-8", "replace")

    def reveal_bytes(self) -> bytes:
        """The plaintext bytes, exactly."""
        return self._value

    def __repr__(self) -> str:
        return f"SecretValue({MASK})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return format(MASK, spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SecretValue):
            return NotImplemented
        return hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        raise TypeError("SecretValue is not hashable (a hash would leak information about the value)")

    def __len__(self) -> int:
        return len(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("SecretValue is immutable")

    def __reduce__(self) -> NoReturn:
        raise TypeError("SecretValue cannot be pickled (it would write the plaintext)")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("SecretValue cannot be pickled (it would write the plaintext)")

    def __copy__(self) -> SecretValue:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> SecretValue:
        return self


class Concealed(Generic[T]):
    """Any decrypted object (a document tree): masked in repr/str/format, never pickled.

    Copies stay concealed: `copy.copy` shares the object, `copy.deepcopy` (and so `asdict`) copies
    it into a new `Concealed`.
    """

    __slots__ = ("_value",)
    _value: T

    def __init__(self, value: T) -> None:
        object.__setattr__(self, "_value", value)

    def reveal(self) -> T:
        """The plaintext object itself."""
        return self._value

    def __repr__(self) -> str:
        return f"Concealed({MASK})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return format(MASK, spec)

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("Concealed is immutable")

    def __reduce__(self) -> NoReturn:
        raise TypeError("decrypted data cannot be pickled (it would write the plaintext)")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("decrypted data cannot be pickled (it would write the plaintext)")

    def __copy__(self) -> Concealed[T]:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Concealed[T]:
        return Concealed(copy.deepcopy(self._value, memo))


class HoldsPlaintext:
    """Base of frozen dataclasses that hold decrypted data: pickling is refused with a clear message.

    Their plaintext fields are `SecretValue`/`Concealed`, so repr and `asdict` show masks; copies
    work (`copy.copy` is the object itself, `copy.deepcopy` copies every field).
    """

    __slots__ = ()

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError(
            f"{type(self).__name__} holds decrypted data and cannot be pickled (it would write the plaintext)"
        )

    def __copy__(self) -> Any:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        assert dataclasses.is_dataclass(self) and not isinstance(self, type)
        changes = {
            f.name: copy.deepcopy(getattr(self, f.name), memo) for f in dataclasses.fields(self) if f.init
        }
        return dataclasses.replace(self, **changes)
