"""Benchmark: 100,000 codes generated, exported and imported through db/codes.py on a throwaway PostgreSQL database.

    .venv/bin/python bench/codegen.py [--count 100000] [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

SPEC §8 asks for 100,000 codes in ≤ 5 s and exports that stream in constant memory.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from app import campaigns, codes
from bootstrap.runtime import build_runtime
from config.settings import Settings
from db.migrate import upgrade
from db.queries.export import codes_csv
from domain.codes import CODE_CSV_HEADER, generate_codes, parse_code_config
from tests.support.databases import postgres_database

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def throwaway_database(admin_url: str):
    return postgres_database(admin_url, label="bench_codegen")


@contextmanager
def timed(label: str, results: dict[str, float]) -> Iterator[None]:
    started = time.perf_counter()
    yield
    results[label] = time.perf_counter() - started
    print(f"{label:<44} {results[label]:7.2f} s", flush=True)


def new_campaign(runtime, name: str, pattern: str) -> str:
    return runtime.units.run(campaigns.create, {"name": name, "code_config": {"pattern": pattern}}).id


def fresh_csv(count: int) -> str:
    """A CSV of `count` codes no campaign holds yet, in Voucherify's template."""
    buffer = io.StringIO()
    buffer.write(",".join(CODE_CSV_HEADER) + "\n")
    for code in generate_codes(parse_code_config({"pattern": "IMP-########-??"}), count):
        buffer.write(f"{code},imported,0,true,,\n")
    return buffer.getvalue()


def export_peak_memory(runtime, campaign_id: str) -> int:
    """The most memory the export allocates at once (a second pass, traced), in bytes."""
    tracemalloc.start()
    for _chunk in codes_csv(runtime.session_factory, campaign_id):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def run(runtime, count: int) -> dict[str, float]:
    results: dict[str, float] = {}
    generated = new_campaign(runtime, "Bench generate", "REF-####-????")
    with timed(f"generate {count:,} codes", results):
        assert runtime.units.run(codes.generate, generated, count) == count
    export_path = Path(tempfile.mkstemp(suffix=".csv")[1])
    with timed(f"export {count:,} codes (streamed CSV)", results), export_path.open("w") as out:
        for chunk in codes_csv(runtime.session_factory, generated):
            out.write(chunk)
    print(
        f"{'  export file size / peak Python memory':<44} {export_path.stat().st_size / 1e6:6.1f} MB / "
        f"{export_peak_memory(runtime, generated) / 1e6:.1f} MB"
    )
    imported = new_campaign(runtime, "Bench import", "IMP-########-??")
    source = fresh_csv(count)
    with timed(f"import {count:,} new codes from CSV", results):
        report = codes.run_import(runtime.units, imported, io.StringIO(source))
    assert report.imported == count and not report.errors, report.to_dict()["errors"][:3]
    with timed(f"re-import the {count:,}-code export (updates)", results), export_path.open() as exported:
        report = codes.run_import(runtime.units, generated, exported)
    assert report.updated == count and not report.errors
    export_path.unlink()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    args = parser.parse_args()
    with throwaway_database(args.admin_url) as url:
        runtime = build_runtime(Settings(database_url=url, redis_url=None, _env_file=None))
        try:
            upgrade(runtime.engine)
            results = run(runtime, args.count)
        finally:
            runtime.close()
    verdict = "meets" if results[f"generate {args.count:,} codes"] <= 5 else "MISSES"
    print(f"code generation {verdict} SPEC §8 (≤ 5 s for 100,000)")


if __name__ == "__main__":
    main()
