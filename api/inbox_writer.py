"""Group commit for the webhook inbox: rows from concurrent requests go to the database together.

Each request parses its webhook on the event loop, hands the row to the writer thread and awaits the outcome. The
writer takes every row waiting (up to MAX_BATCH), stores them in one transaction and only then answers each request,
so a 202 still means a durable inbox row; enqueueing a batch's new events and answering overlap the next batch. Under load that is one commit and one thread hand-off per batch instead of
per request; a lone webhook is written at once, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

MAX_BATCH = 64
AFTER_THREADS = 4  # enqueueing costs a Redis round trip per event: several batches' enqueues overlap
_STOP = object()


@dataclass(frozen=True)
class _Waiting:
    item: Any
    future: asyncio.Future
    loop: asyncio.AbstractEventLoop


@dataclass(frozen=True)
class Written:
    """What `write_batch` returns: one result per item, in order, and work to run before they are answered."""

    results: Sequence[Any]
    then: Callable[[], None] | None = None


class InboxWriter:
    """One writer thread; `write_batch(items)` returns a Written, or raises for all of the items.

    `then` (enqueueing the new events) and the answers run on other threads, so the next batches' transactions
    overlap them; a request is answered once its row is committed and its event enqueued, as without batching."""

    def __init__(self, write_batch: Callable[[Sequence[Any]], Written], *, max_batch: int = MAX_BATCH) -> None:
        self._write_batch, self._max_batch = write_batch, max_batch
        self._after: queue.SimpleQueue = queue.SimpleQueue()
        self._waiting: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._starting = threading.Lock()

    async def write(self, item: Any) -> Any:
        """Store `item` with whatever else is waiting; its result once the transaction has committed."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._start()
        self._waiting.put(_Waiting(item, future, loop))
        return await future

    def close(self, timeout: float = 10.0) -> None:
        """Write what is waiting, run what follows, then stop both threads."""
        with self._starting:
            threads, self._threads = self._threads, []
        if threads:
            self._waiting.put(_STOP)
            for thread in threads:
                thread.join(timeout)

    def _start(self) -> None:
        if self._threads:
            return
        with self._starting:
            if not self._threads:
                self._threads = [
                    threading.Thread(target=self._run, name="inbox-writer", daemon=True),
                    *(
                        threading.Thread(target=self._run_after, name=f"inbox-after-{n}", daemon=True)
                        for n in range(AFTER_THREADS)
                    ),
                ]
                for thread in self._threads:
                    thread.start()

    def _run(self) -> None:
        while True:
            batch, stop = self._next_batch()
            if batch:
                self._after.put((batch, *self._write(batch)))
            if stop:
                for _ in range(AFTER_THREADS):
                    self._after.put(_STOP)
                return

    def _run_after(self) -> None:
        while (done := self._after.get()) is not _STOP:
            batch, written, error = done
            try:
                if written.then is not None:
                    written.then()
            finally:
                self._answer(batch, written.results, error)

    def _next_batch(self) -> tuple[list[_Waiting], bool]:
        """Block for the first row, then take what else is already waiting."""
        first = self._waiting.get()
        if first is _STOP:
            return [], True
        batch = [first]
        while len(batch) < self._max_batch:
            try:
                waiting = self._waiting.get_nowait()
            except queue.Empty:
                break
            if waiting is _STOP:
                return batch, True
            batch.append(waiting)
        return batch, False

    def _write(self, batch: list[_Waiting]) -> tuple[Written, BaseException | None]:
        try:
            return self._write_batch([waiting.item for waiting in batch]), None
        except Exception as error:  # noqa: BLE001 - handed to every request of the batch
            return Written([None] * len(batch)), error

    @staticmethod
    def _answer(batch: list[_Waiting], results: Sequence[Any], error: BaseException | None) -> None:
        """One wake-up per event loop for the whole batch."""
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Any]]] = defaultdict(list)
        for waiting, result in zip(batch, results, strict=True):
            by_loop[waiting.loop].append((waiting.future, result))
        for loop, answers in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop has closed: nobody is waiting any more
                loop.call_soon_threadsafe(_settle, answers, error)


def _settle(answers: list[tuple[asyncio.Future, Any]], error: BaseException | None) -> None:
    for future, result in answers:
        if future.done():  # the request was cancelled (client gone); its row is stored all the same
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
