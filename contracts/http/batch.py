"""Independent requests at once, their answers observed in the order they were asked for.

Inside :meth:`~contracts.client.ApiClient.concurrently`, each call's observations (recorder, judge, register) wait
here, to be made in call order once all are done: a recording keeps the order the test asked in, not the order the
gateway answered in, so its replay (one by one, in that order) matches it.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
from collections.abc import Callable, Sequence
from typing import TypeVar

_BATCH: contextvars.ContextVar[list[Callable[[], None]] | None] = contextvars.ContextVar("apiops_batch",
                                                                                     default=None)


def observe(observation: Callable[[], None]) -> None:
    """Make an observation now, or, inside a batch, once every call of the batch has ended."""
    batch = _BATCH.get()
    if batch is None:
        observation()
    else:
        batch.append(observation)


T = TypeVar("T")


def run_concurrently(calls: Sequence[Callable[[], T]], limit: int) -> list[T]:
    """Run independent calls at most ``limit`` at a time; their answers observed in call order.

    Each call runs in a copy of the caller's context (the test's ledger, the judge's aside). The first
    failure, in call order, is raised once every call has ended and every answer was observed.
    """
    if limit <= 1 or len(calls) <= 1:  # one at a time (a replay: the recorded order), every call made all the same
        done: list[T] = []
        failed: Exception | None = None
        for call in calls:
            try:
                done.append(call())
            except Exception as exc:  # noqa: BLE001 - as at once: every call is made before the first failure
                failed = failed or exc
        if failed is not None:
            raise failed
        return done
    observed: list[list[Callable[[], None]]] = [[] for _ in calls]

    def run(index: int, call: Callable[[], T]) -> T:
        token = _BATCH.set(observed[index])
        try:
            return call()
        finally:
            _BATCH.reset(token)

    with concurrent.futures.ThreadPoolExecutor(max_workers=min(limit, len(calls))) as pool:
        futures = [pool.submit(contextvars.copy_context().run, run, index, call) for index, call in enumerate(calls)]
        concurrent.futures.wait(futures)
    first: BaseException | None = None
    results: list[T] = []
    for future, observations in zip(futures, observed, strict=True):
        for observation in observations:
            try:
                observation()
            except BaseException as exc:  # noqa: BLE001 - every answer is observed before the first failure is raised
                first = first or exc
        error = future.exception()
        if error is not None:
            first = first or error
        else:
            results.append(future.result())
    if first is not None:
        raise first
    return results
