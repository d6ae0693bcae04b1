"""`Caller` (retries, final codes, give-up), `RateLimiter`, the answer checks and the idempotency tokens."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ParamValidationError

from secrets_iac.secret_value import SecretValue
from secrets_iac.sync import calls
from secrets_iac.sync.calls import Caller, CallFailed, RateLimiter, RetryPolicy
from secrets_iac.sync.responses import (
    UntrustedResponse,
    batch_values,
    described,
    listed_page,
    secret_value,
    written,
)
from secrets_iac.sync.tokens import token_key, version_token

NO_WAIT = RetryPolicy(rounds=4, base_delay=0, max_delay=0, give_up_after=3, sleep=lambda _: None)


def client_error(code: str, status: int = 400) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": f"{code} happened"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "PutSecretValue")


class Scripted:
    """A client whose `put_secret_value` raises or returns the scripted outcomes in order."""

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def put_secret_value(self, **_: Any) -> Any:
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def call(client: Scripted, caller: Caller | None = None, **kwargs: Any) -> Any:
    return (caller or Caller(client, retry=NO_WAIT)).call("PutSecretValue", "s", **kwargs)


@pytest.mark.parametrize(
    "transient",
    [
        client_error("ThrottlingException"),
        client_error("InternalServiceError", 500),
        client_error("Whatever", 503),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
        UntrustedResponse("cut"),
    ],
)
def test_transient_failures_are_retried(transient: Exception) -> None:
    client = Scripted(transient, transient, {"ok": 1})
    assert call(client) == {"ok": 1} and client.calls == 3


def test_checks_run_on_every_answer_and_untrusted_ones_are_retried() -> None:
    client = Scripted({"Name": "other"}, {"Name": "s"})

    def check(response: dict[str, Any]) -> str:
        if response["Name"] != "s":
            raise UntrustedResponse("answer is not for s")
        return "checked"

    assert call(client, check=check) == "checked" and client.calls == 2


def test_non_transient_failures_fail_at_once_with_the_aws_code() -> None:
    client = Scripted(client_error("AccessDeniedException"))
    with pytest.raises(CallFailed) as info:
        call(client)
    assert client.calls == 1 and info.value.code == "AccessDeniedException" and not info.value.connection
    assert str(info.value) == "PutSecretValue s: AccessDeniedException: AccessDeniedException happened"


def test_a_bad_parameter_belongs_to_one_secret_and_never_stops_the_run() -> None:
    client = Scripted(ParamValidationError(report="SecretString too short"))
    with pytest.raises(CallFailed) as info:
        call(client)
    assert not info.value.connection and info.value.code == "ParamValidationError"


def test_final_codes_are_raised_for_the_caller_to_handle() -> None:
    client = Scripted(client_error("ResourceExistsException"))
    with pytest.raises(ClientError):
        call(client, final_codes=frozenset({"ResourceExistsException"}))


def test_giving_up_names_the_rounds_and_scrubs() -> None:
    client = Scripted(*[client_error("InternalServiceError", 500)] * 4)
    with pytest.raises(CallFailed) as info:
        call(client, scrub=lambda text: text.replace("happened", "***"))
    assert str(info.value) == (
        "PutSecretValue s: InternalServiceError: InternalServiceError *** (gave up after 4 rounds of retries)"
    )
    assert not info.value.connection


def test_connection_failures_after_every_round_stop_the_run() -> None:
    lost = EndpointConnectionError(endpoint_url="http://127.0.0.1:9")
    with pytest.raises(CallFailed) as info:
        call(Scripted(*[lost] * 4))
    assert info.value.connection and info.value.code == "EndpointConnectionError"


def test_many_calls_in_a_row_failing_after_every_round_stop_the_run() -> None:
    failing = client_error("InternalServiceError", 500)
    client = Scripted(*[failing] * 12, {"ok": 1}, *[failing] * 12)
    caller = Caller(client, retry=NO_WAIT)
    results = []
    for _ in range(5):
        try:
            results.append(call(client, caller))
        except CallFailed as err:
            results.append(err.connection)
    # 3 failing calls in a row (give_up_after=3) stop the run; a success in between resets the count.
    assert results == [False, False, True, {"ok": 1}, False]


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


def test_rate_limiter_spaces_acquisitions(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeTime()
    monkeypatch.setattr(calls, "time", fake)
    limiter = RateLimiter(10)
    for _ in range(30):
        limiter.acquire()
    assert fake.now == pytest.approx(2.0)  # a burst of 10, then 20 at 10 per second
    unlimited = RateLimiter(0)
    for _ in range(1000):
        unlimited.acquire()
    assert fake.now == pytest.approx(2.0)


# -- answers ------------------------------------------------------------------------------------------------


def test_a_listing_without_its_list_is_untrusted() -> None:
    with pytest.raises(UntrustedResponse):
        listed_page({})
    with pytest.raises(UntrustedResponse):
        listed_page({"SecretList": [{"ARN": "arn"}]})
    entries, token = listed_page(
        {"SecretList": [{"Name": "a", "ARN": "arn", "SecretVersionsToStages": {"v1": ["AWSCURRENT"]}}]}
    )
    assert entries[0].current_version == "v1" and token is None


def test_batch_entries_must_be_the_asked_current_versions() -> None:
    good = {"Name": "a", "VersionId": "v1", "VersionStages": ["AWSCURRENT"], "SecretString": "x"}
    answer = batch_values(
        {
            "SecretValues": [
                good,
                {**good, "Name": "b", "VersionStages": ["AWSPREVIOUS"]},
                {**good, "Name": "c", "VersionId": None},
                {**good, "Name": "not-asked"},
            ],
            "Errors": [{"SecretId": "d", "ErrorCode": "ResourceNotFoundException"}],
        },
        ["a", "b", "c", "d"],
    )
    assert set(answer.values) == {"a"} and answer.errors == {"d": "ResourceNotFoundException"}
    with pytest.raises(UntrustedResponse):
        batch_values({"Errors": []}, ["a"])


def test_get_describe_and_put_answers() -> None:
    with pytest.raises(UntrustedResponse):
        secret_value({"Name": "a", "VersionId": "v2", "VersionStages": [], "SecretString": "x"}, "a", "v1")
    with pytest.raises(UntrustedResponse):
        secret_value({"Name": "a", "VersionId": "v1", "SecretString": "x"}, "a", "v1")
    assert described({"Name": "a", "ARN": "arn"}, "a").versions == {}
    with pytest.raises(UntrustedResponse):
        described({}, "a")  # a cut answer is not "no versions"
    assert written({"Name": "a", "VersionId": "t"}, "a", "t") == "t"
    with pytest.raises(UntrustedResponse):
        written({"Name": "a"}, "a", "t")


# -- tokens -------------------------------------------------------------------------------------------------


def test_tokens_are_stable_per_change_and_keyed() -> None:
    key = token_key(b"k" * 32)
    value = SecretValue("v")
    token = version_token(key, "n", "prev", value)
    assert token == version_token(token_key(b"k" * 32), "n", "prev", SecretValue("v"))
    assert len(token) == 36 and 32 <= len(token) <= 64  # Secrets Manager's ClientRequestToken length
    others = {
        version_token(key, "n2", "prev", value),
        version_token(key, "n", "prev2", value),
        version_token(key, "n", None, value),
        version_token(key, "n", "prev", SecretValue("v2")),
        version_token(token_key(b"j" * 32), "n", "prev", value),
    }
    assert token not in others and len(others) == 5
    assert token_key(None) != token_key(None)  # without a data key: random per run
