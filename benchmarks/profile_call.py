"""Where one call's time goes: cProfile of typed ``vmp_query_image(limit=20)`` against raw httpx.

``uv run python benchmarks/profile_call.py [--calls N] [--top K]`` sends N calls of each to the
loopback server (nginx when installed) and prints the function calls per call of each, then the
functions of the typed call (per call: calls, own time, cumulative time) that raw httpx does
not make, or makes fewer times. Function counts are exact; times under cProfile are inflated.
"""

from __future__ import annotations

import argparse
import cProfile
import pathlib
import pstats
import sys
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import httpx  # noqa: E402
from servers import serve  # noqa: E402

from cdnetworks.imagemanage import ImageManageClient  # noqa: E402


def _profile(fn: Any, calls: int) -> pstats.Stats:
    for _ in range(20):
        fn()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        fn()
    profiler.disable()
    return pstats.Stats(profiler)


def _by_function(stats: pstats.Stats) -> dict[str, tuple[int, float, float]]:
    table: dict[str, tuple[int, float, float]] = {}
    for (path, line, name), (_, ncalls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = path.split("site-packages/")[-1].split("/src/")[-1]
        table[f"{where}:{line}({name})"] = (ncalls, tottime, cumtime)
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--server", choices=("auto", "nginx", "python"), default="auto")
    args = parser.parse_args(argv)
    with serve(args.server) as server:
        http = httpx.Client()
        typed = ImageManageClient(
            access_key="AK",
            secret_key="sk",
            endpoint=server.base_url,
            http_client=http,
            load_entry_points=False,
        )
        url = server.base_url + "/vmp/images"
        raw_stats = _profile(lambda: http.get(url, params={"limit": 20}).json(), args.calls)
        typed_stats = _profile(lambda: typed.vmp_query_image(limit=20), args.calls)
        typed.close()
        http.close()
    n = args.calls
    raw_total = raw_stats.total_calls  # type: ignore[attr-defined]
    typed_total = typed_stats.total_calls  # type: ignore[attr-defined]
    print(f"server: {server.description}")
    print(f"raw httpx.Client.get(...).json(): {raw_total / n:.0f} function calls per call")
    print(f"vmp_query_image(limit=20): {typed_total / n:.0f} function calls per call")
    raw, typed_fns = _by_function(raw_stats), _by_function(typed_stats)
    extra = []
    for name, (ncalls, tottime, cumtime) in typed_fns.items():
        more = ncalls - raw.get(name, (0, 0.0, 0.0))[0]
        if more > 0:
            extra.append((tottime - raw.get(name, (0, 0.0, 0.0))[1], more, cumtime, name))
    extra.sort(reverse=True)
    fewer = sum(
        ncalls - typed_fns.get(name, (0, 0.0, 0.0))[0]
        for name, (ncalls, _, _) in raw.items()
        if ncalls > typed_fns.get(name, (0, 0.0, 0.0))[0]
    )
    print(
        f"the typed call makes {sum(e[1] for e in extra) / n:.0f} calls raw httpx does not "
        f"(or makes fewer times), and {fewer / n:.0f} fewer of raw httpx's own"
    )
    print(f"\nthe typed call's extra work, by own time (top {args.top}), per call:")
    print("| function | extra calls | own time | cumulative |")
    print("|---|---|---|---|")
    for tottime, more, cumtime, name in extra[: args.top]:
        print(
            f"| `{name}` | {more / n:g} | {tottime / n * 1e6:.1f} µs | {cumtime / n * 1e6:.1f} µs |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
