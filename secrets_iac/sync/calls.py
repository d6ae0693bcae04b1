"""Every AWS call the sync makes goes through `Caller`: checked answers, retries, a write rate.

Three layers keep a run going through what AWS (or the network) throws at it:

- botocore's `adaptive` retry mode (`CLIENT_CONFIG`): quick retries of throttling, 5xx and connection
  errors, and a client-side send rate that backs off after throttling;
- `Caller`'s own rounds: botocore gives up after `max_attempts` or once its retry quota (a circuit
  breaker of 500 tokens per client) is drained, which a 30% error rate does within a few dozen calls.
  Transient failures are then retried here with a jittered exponential backoff (`RetryPolicy`); every
  retried write carries the same `ClientRequestToken`, so it cannot create a second version;
- an answer is checked before it is used (`check`, see `secrets_iac.sync.responses`): a body cut short
  parses as an empty answer in botocore, which must never read as "no value yet". An untrusted answer
  is retried like a transient failure and, if it stays untrusted, fails that one call.

`RateLimiter` keeps writes under Secrets Manager's quota (50 PutSecretValue/UpdateSecretVersionStage
per second per account and region, shared with everything else writing there). Only connection-level
failures (`CallFailed.connection`) may stop a run; any other failure belongs to one secret.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ResponseStreamingError,
)
from botocore.parsers import ResponseParserError

from secrets_iac.sync.responses import UntrustedResponse

BOTOCORE_ATTEMPTS = 6
"""Attempts per call in botocore (adaptive mode), the first included; `RetryPolicy.rounds` multiplies it."""
CLIENT_CONFIG = Config(
    retries={"total_max_attempts": BOTOCORE_ATTEMPTS, "mode": "adaptive"},
    max_pool_connections=64,
    connect_timeout=10,
    read_timeout=30,
)
DEFAULT_WRITES_PER_SECOND = 40.0
"""Below Secrets Manager's 50 writes/s per account and region, leaving room for other writers."""

_TRANSIENT_CODES = frozenset(
    {
        "InternalFailure",
        "InternalServiceError",
        "InternalServiceErrorException",
        "PriorRequestNotComplete",
        "RequestLimitExceeded",
        "RequestTimeout",
        "RequestTimeoutException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
    }
)


def error_text(err: Exception) -> str:
    """`<code>: <message>` of a failed call: AWS's words, which the caller scrubs of values."""
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".rstrip(": ")
    return f"{type(err).__name__}: {err}"


def error_code(err: Exception) -> str:
    """AWS's error code, or the exception's name for failures that never reached AWS."""
    if isinstance(err, ClientError):
        return str(err.response.get("Error", {}).get("Code") or "Error")
    return type(err).__name__


def is_connection_level(err: Exception) -> bool:
    """No answer from AWS at all (endpoint unreachable, connection dropped, timeouts) or no credentials."""
    return isinstance(
        err,
        ConnectionError
        | HTTPClientError
        | NoCredentialsError
        | PartialCredentialsError
        | CredentialRetrievalError,
    )


def is_transient(err: Exception) -> bool:
    """Worth another round: throttling, AWS-side 5xx, a lost connection or an answer cut short."""
    if isinstance(err, UntrustedResponse | ResponseStreamingError | ResponseParserError):
        return True
    if is_connection_level(err):
        return True
    if isinstance(err, ClientError):
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error_code(err) in _TRANSIENT_CODES or status == 429 or status >= 500
    return False


class CallFailed(Exception):
    """One AWS call failed for good; the message names operation and subject and is already scrubbed."""

    def __init__(self, message: str, *, code: str, connection: bool) -> None:
        super().__init__(message)
        self.code = code
        """AWS's error code (`AccessDeniedException`), or `UntrustedResponse`, or the exception's name."""
        self.connection = connection
        """Connection-level (AWS could not be reached, or `give_up_after` calls in a row failed after
        every retry): the run stops starting new secrets."""


class RateLimiter:
    """A token bucket shared by threads: at most `rate` acquisitions per second (burst of one second)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._tokens = max(rate, 1.0)
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        if self.rate <= 0:
            return
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.rate, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1 - 1e-9:  # tolerance: float sums of elapsed time fall a hair short
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate
            time.sleep(wait)


UNLIMITED = RateLimiter(0)


@dataclass(frozen=True)
class RetryPolicy:
    """Rounds of a call after botocore gave up: jittered exponential backoff, `rounds` attempts in all.

    Defaults: a call failing for good gives up after ~18 s (its secret is reported, the run goes on).
    `give_up_after` calls in a row failing that way mean AWS is not answering: the run stops starting
    new secrets, as for a lost connection.
    """

    rounds: int = 10
    base_delay: float = 0.25
    max_delay: float = 4.0
    give_up_after: int = 20
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def delay(self, round_index: int) -> float:
        return float(random.uniform(0.5, 1.0) * min(self.max_delay, self.base_delay * 2**round_index))


class Caller:
    """Makes one kind of call safe to repeat: checked, retried, rate-limited, with scrubbed errors."""

    def __init__(
        self,
        client: Any,
        *,
        retry: RetryPolicy | None = None,
        writes: RateLimiter | None = None,
    ) -> None:
        self.client = client
        self.retry = retry or RetryPolicy()
        self.writes = writes or UNLIMITED
        self._failing_in_a_row = 0
        self._lock = threading.Lock()

    def _count(self, *, exhausted: bool) -> int:
        with self._lock:
            self._failing_in_a_row = self._failing_in_a_row + 1 if exhausted else 0
            return self._failing_in_a_row

    def call(
        self,
        operation: str,
        subject: str,
        *,
        check: Callable[[dict[str, Any]], Any] | None = None,
        write: bool = False,
        scrub: Callable[[str], str] = lambda text: text,
        final_codes: frozenset[str] = frozenset(),
        **kwargs: Any,
    ) -> Any:
        """`client.<operation>(**kwargs)`, then `check(response)`; returns what `check` returns.

        `final_codes` are AWS error codes the caller handles itself (e.g. ResourceExistsException on a
        lock): they are raised as `ClientError` at once, never retried.
        """
        method = getattr(self.client, _snake(operation))
        rounds = max(1, self.retry.rounds)
        for round_index in range(rounds):
            if write:
                self.writes.acquire()
            try:
                response: dict[str, Any] = method(**kwargs)
                checked = check(response) if check is not None else response
                self._count(exhausted=False)
                return checked
            except ClientError as err:
                if error_code(err) in final_codes:
                    self._count(exhausted=False)
                    raise
                failure: Exception = err
            except (BotoCoreError, UntrustedResponse, ResponseParserError) as err:
                failure = err
            transient = is_transient(failure)
            if not transient or round_index == rounds - 1:
                in_a_row = self._count(exhausted=transient)
                failed = self._failed(operation, subject, failure, scrub, round_index + 1)
                if in_a_row >= self.retry.give_up_after:
                    failed.connection = True
                    failed.args = (f"{failed} ({in_a_row} calls in a row failed after every retry)",)
                raise failed from None
            self.retry.sleep(self.retry.delay(round_index))
        raise AssertionError("unreachable: the last round raises")

    @staticmethod
    def _failed(
        operation: str, subject: str, err: Exception, scrub: Callable[[str], str], rounds: int
    ) -> CallFailed:
        text = scrub(error_text(err))
        if rounds > 1:
            text += f" (gave up after {rounds} rounds of retries)"
        return CallFailed(
            f"{operation} {subject}: {text}", code=error_code(err), connection=is_connection_level(err)
        )


def _snake(operation: str) -> str:
    """`PutSecretValue` -> `put_secret_value` (boto3's method names)."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")
