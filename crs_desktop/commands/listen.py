"""`crs-desktop listen`: receive HL7 v2 ORU^R01 results over MLLP and chart them.

Its own process, beside the window (which shows the values as another process's
writes). One asyncio loop reads every connection; one worker thread owns the store and
charts one message at a time, each in its own transaction, answered only once committed.
SIGTERM or Ctrl+C stop it: the message being charted is finished (or not begun), never
half-written.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from crs_desktop.app.hl7_intake import Intake, Outcome
from crs_desktop.commands.common import add_db_argument, open_store
from crs_desktop.commands.errors import UsageError
from crs_desktop.interop.chart_csv import parse_time
from crs_desktop.interop.hl7_ack import Problem, build_ack
from crs_desktop.interop.hl7_mapping import Mapping, load_mapping
from crs_desktop.interop.hl7_message import AE, AR, header_of
from crs_desktop.interop.mllp import FrameReader, FrameTimeout, FrameTooLarge, frame
from crs_desktop.store import ChartStore, StoreError, resolve_store_path
from crs_desktop.store.paths import store_exists

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 2575  # the port IANA lists for HL7 over TCP
READ_TIMEOUT_S = 30.0
MAX_MESSAGE_BYTES = 1 << 20
log = logging.getLogger("crs_desktop.listen")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="the address to listen on (default 127.0.0.1, this computer only; another "
        "address lets other machines send: see the README)",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default 2575; 0: any free")
    parser.add_argument(
        "--mapping", metavar="FILE", help="the ward's own codes, added to the shipped mapping"
    )
    parser.add_argument(
        "--read-timeout",
        type=float,
        default=READ_TIMEOUT_S,
        metavar="SECONDS",
        help="drop a sender that stops in the middle of a message (default 30)",
    )
    parser.add_argument(
        "--max-bytes",
        type=int,
        default=MAX_MESSAGE_BYTES,
        metavar="N",
        help="refuse a message larger than this (default 1 MiB)",
    )
    # Tests and demonstrations: judge "in the future" against this time, not the clock.
    parser.add_argument("--now", help=argparse.SUPPRESS)
    add_db_argument(parser)


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: allowed 0-65535")
    if not args.read_timeout > 0 or args.max_bytes < 1024:
        raise UsageError("--read-timeout must be above 0 and --max-bytes at least 1024")
    mapping = load_mapping(args.mapping)  # a bad file is refused before anything starts
    if not store_exists(resolve_store_path(args.db)):  # a ward server address always exists
        raise StoreError(
            f"{resolve_store_path(args.db)}: no chart file there; the listener charts for "
            "patients already on the ward (open the window or import a chart first)"
        )
    clock: Callable[[], float] = time.time
    if args.now:
        fixed = parse_time(args.now)[0]
        clock = lambda: fixed  # noqa: E731
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s", force=True
    )
    return asyncio.run(_serve(args, mapping, clock))


class _Listener:
    """The connections, and the one thread that charts."""

    def __init__(self, args: argparse.Namespace, intake: Intake, pool: ThreadPoolExecutor) -> None:
        self.args = args
        self.intake = intake
        self.pool = pool
        self.connections: set[asyncio.Task[None]] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.connections.add(task)
        peer = writer.get_extra_info("peername")
        where = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "a sender"
        frames = FrameReader(reader, self.args.read_timeout, self.args.max_bytes)
        loop = asyncio.get_running_loop()
        try:
            while True:
                skipped = frames.skipped
                try:
                    message = await frames.next_frame()
                except FrameTimeout:
                    log.info(
                        "%s: a message begun and not finished in %g s; line closed, "
                        "nothing charted",
                        where,
                        self.args.read_timeout,
                    )
                    return
                except FrameTooLarge as big:
                    outcome = self._too_large(big.head)
                    log.info("%s: %s", where, outcome.log)
                    writer.write(frame(outcome.ack))
                    await writer.drain()
                    return
                except ConnectionError:
                    log.info("%s: the sender closed the line mid-message; nothing charted", where)
                    return
                if frames.skipped > skipped:
                    log.info(
                        "%s: %d bytes outside a message skipped", where, frames.skipped - skipped
                    )
                if message is None:
                    return
                outcome = await loop.run_in_executor(self.pool, self._receive, message)
                log.info("%s", outcome.log)
                writer.write(frame(outcome.ack))
                await writer.drain()
        except (ConnectionError, OSError):
            log.info("%s: the line broke before the answer was sent", where)
        finally:
            self.connections.discard(task)
            writer.close()

    def _receive(self, message: bytes) -> Outcome:
        try:
            return self.intake.receive(message)
        except Exception as exc:  # a bug must not stop the listener; the sender retries
            log.exception("internal error on a message")
            header = header_of(message)
            reason = f"internal error ({type(exc).__name__}); nothing charted, send again"
            ack = build_ack(header, AE, reason, [Problem("207", "E", "", reason)])
            return Outcome(AE, ack, f"message {header.control_id[:40]}: AE, {reason}")

    def _too_large(self, head: bytes) -> Outcome:
        header = header_of(head)
        reason = f"message larger than {self.args.max_bytes} bytes; not read, nothing charted"
        ack = build_ack(header, AR, reason, [Problem("100", "E", "", reason)])
        return Outcome(AR, ack, f"message {header.control_id[:40]}: AR, {reason}")


async def _serve(args: argparse.Namespace, mapping: Mapping, clock: Callable[[], float]) -> int:
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chart")

    def opened() -> ChartStore:
        store = open_store(args)
        store.clock = clock
        return store

    store = await loop.run_in_executor(pool, opened)
    listener = _Listener(args, Intake(store, mapping, clock), pool)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not on this platform
            pass
    try:
        server = await asyncio.start_server(listener.handle, args.host, args.port)
    except OSError as exc:
        await loop.run_in_executor(pool, store.close)
        pool.shutdown()
        raise UsageError(f"cannot listen on {args.host}:{args.port} ({exc.strerror})") from None
    port = server.sockets[0].getsockname()[1]
    print(f"listening on {args.host}:{port}, charting into {store.path}", flush=True)
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        log.info(
            "listening beyond this computer (%s): any machine that reaches this port can "
            "chart values; MLLP has no password and no encryption",
            args.host,
        )
    try:
        await stop.wait()
    finally:
        server.close()
        for task in list(listener.connections):
            task.cancel()
        await asyncio.gather(*listener.connections, return_exceptions=True)
        # The message being charted finishes (committed or rolled back) before the store
        # closes; none is left half-written.
        await loop.run_in_executor(pool, store.close)
        pool.shutdown(wait=True)
    log.info("stopped")
    return 0
