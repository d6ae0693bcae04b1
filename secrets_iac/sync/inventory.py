"""Batched reads of a stage: ListSecrets pages of 100 under the stage prefix, BatchGetSecretValue of 20.

A no-op sync of N secrets costs ceil(N/100) + ceil(N/20) calls instead of 2N. What the batches cannot
answer is left out of the `Inventory` and read secret by secret (DescribeSecret, GetSecretValue):

- a secret the listing does not show (ListSecrets is eventually consistent; a secret `pulumi up` just
  created may be missing for a while), shows without a current version, or shows scheduled for
  deletion: these are the cases where the sync could write or report `absent`, so they are decided
  on strongly consistent reads only;
- an entry BatchGetSecretValue reports under `Errors`, leaves out, or answers without what it must
  contain (`secrets_iac.sync.responses`), and every entry of a batch call that failed as a whole.

If the listing itself fails (say the identity lacks ListSecrets), every secret is read on its own and
the report notes it. Only a connection-level failure (`CallFailed.connection`) is raised.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from secrets_iac.sync.calls import Caller, CallFailed
from secrets_iac.sync.responses import BatchAnswer, CurrentValue, SecretMeta, batch_values, listed_page

LIST_PAGE_SIZE = 100
"""ListSecrets' largest page."""
BATCH_SIZE = 20
"""BatchGetSecretValue's largest SecretIdList."""
_MAX_PAGES = 100_000


@dataclass
class Inventory:
    """What the batched reads established; a declared name missing here is read on its own."""

    listed: dict[str, SecretMeta] = field(default_factory=dict)
    """Declared secrets found by ListSecrets (a hint: decisions to write rest on other reads)."""
    values: dict[str, CurrentValue] = field(default_factory=dict)
    """Current values from BatchGetSecretValue, checked to be the name's AWSCURRENT version."""
    notes: list[str] = field(default_factory=list)
    """Why some reads fell back to one call per secret (no values, no secret names)."""
    account: str | None = None
    """The account of the ARNs the listing returned: the account these credentials read (and write)."""


def list_stage(
    caller: Caller,
    prefix: str,
    declared: Collection[str],
    *,
    also: Callable[[SecretMeta], bool] | None = None,
) -> tuple[dict[str, SecretMeta], str | None]:
    """Every declared secret under `<prefix>/` that ListSecrets shows (and every one `also` accepts, e.g. by
    its tags: what a backup keeps); a note if the listing failed."""
    wanted = set(declared)
    found: dict[str, SecretMeta] = {}
    token: str | None = None
    seen_tokens: set[str] = set()
    for _page in range(_MAX_PAGES):
        kwargs: dict[str, Any] = {
            "Filters": [{"Key": "name", "Values": [f"{prefix}/"]}],
            "IncludePlannedDeletion": True,
            "MaxResults": LIST_PAGE_SIZE,
        }
        if token is not None:
            kwargs["NextToken"] = token
        try:
            entries, token = caller.call("ListSecrets", f"{prefix}/", check=listed_page, **kwargs)
        except CallFailed as err:
            if err.connection:
                raise
            return found, f"{err}: every secret was read on its own"
        found.update((e.name, e) for e in entries if e.name in wanted or (also is not None and also(e)))
        if token is None:
            return found, None
        if token in seen_tokens:
            return found, f"ListSecrets {prefix}/: NextToken repeats: the rest was read secret by secret"
        seen_tokens.add(token)
    return found, f"ListSecrets {prefix}/: more than {_MAX_PAGES} pages: the rest was read secret by secret"


def _batch(caller: Caller, names: Sequence[str]) -> BatchAnswer | CallFailed:
    try:
        answer: BatchAnswer = caller.call(
            "BatchGetSecretValue",
            f"({len(names)} secrets)",
            check=lambda response: batch_values(response, names),
            SecretIdList=list(names),
        )
    except CallFailed as err:
        if err.connection:
            raise
        return err
    return answer


def read_inventory(
    caller: Caller,
    prefix: str,
    declared: Collection[str],
    *,
    needs_value: Callable[[SecretMeta], bool],
    pool: Executor,
    also: Callable[[SecretMeta], bool] | None = None,
) -> Inventory:
    """List the stage, then batch-read the current value of every listed secret `needs_value` accepts."""
    inventory = Inventory()
    inventory.listed, note = list_stage(caller, prefix, declared, also=also)
    if note:
        inventory.notes.append(note)
    accounts = {meta.arn.split(":")[4] for meta in inventory.listed.values() if meta.arn.count(":") >= 5}
    inventory.account = accounts.pop() if len(accounts) == 1 else None
    names = [n for n, meta in inventory.listed.items() if needs_value(meta)]
    chunks = [names[i : i + BATCH_SIZE] for i in range(0, len(names), BATCH_SIZE)]
    failed = 0
    for answer in pool.map(lambda chunk: _batch(caller, chunk), chunks):
        if isinstance(answer, CallFailed):
            failed += 1
            if failed == 1:
                inventory.notes.append(f"{answer}: those secrets were read one by one")
            continue
        inventory.values.update(answer.values)
    return inventory
