"""`bench/run [--quick] [--profile] [--only intake,e2e,latency,reads,pages]`: every SPEC §8 benchmark, a table, a JSON file."""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from datetime import UTC, datetime

from bench import batching, e2e, intake, latency, pages, reads, report, roundtrips
from bench.config import Config
from bench.infra import ROOT, machine

BENCHMARKS = {
    "roundtrips": roundtrips.run,
    "intake": intake.run,
    "e2e": e2e.run,
    "latency": latency.run,
    "reads": reads.run,
    "pages": pages.run,
    "batching": batching.run,
}
RESULTS_DIR = ROOT / "bench" / "results"
WORK_DIR = ROOT / "var" / "bench"


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    config = Config.for_run(
        quick=args.quick,
        log_dir=WORK_DIR / "logs",
        profile=args.profile,
        notification_processes=args.notification_processes,
    )
    results: dict = {
        "quick": config.quick,
        "machine": machine(),
        "started_at": datetime.now(UTC).isoformat(),
        "config": {key: str(value) for key, value in vars(config).items()},
        "detail": {},
        "errors": {},
    }
    for name in args.only:
        _run_one(name, config, results)
    results["verdicts"] = report.verdicts(results)
    paths = report.write(results, RESULTS_DIR, quick=config.quick)
    print("\n" + report.table(results))
    print(
        f"\nwritten: {', '.join(str(path.relative_to(ROOT)) for path in paths)}; logs in {config.log_dir.relative_to(ROOT)}"
    )
    return 1 if results["errors"] else 0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes; under three minutes")
    parser.add_argument("--profile", action="store_true", help="py-spy the api (intake) and the workers (e2e)")
    parser.add_argument(
        "--notification-processes",
        type=int,
        default=1,
        metavar="K",
        help="`referrals worker --notification-processes K` in the latency run (default 1; 0: every process does all)",
    )
    parser.add_argument(
        "--only",
        type=lambda text: text.split(","),
        default=list(BENCHMARKS),
        help=f"comma-separated subset of {','.join(BENCHMARKS)}",
    )
    args = parser.parse_args(argv)
    unknown = set(args.only) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    return args


def _run_one(name: str, config: Config, results: dict) -> None:
    print(f"[{name}] running…", flush=True)
    started = time.perf_counter()
    try:
        figures = BENCHMARKS[name](config)
    except Exception as error:  # noqa: BLE001 - one broken benchmark must not hide the others' figures
        traceback.print_exc()
        results["errors"][name] = f"{type(error).__name__}: {error}"
        return
    results["detail"][name] = figures.pop("detail") | {"seconds": round(time.perf_counter() - started, 1)}
    results.update(figures)
    print(f"[{name}] done in {results['detail'][name]['seconds']} s: {figures}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
