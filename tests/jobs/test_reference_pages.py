"""The generated reference pages show the jobs and the declared limits (issue 17).

The pages are generated (`test_the_repository_is_in_step_with_its_specs` keeps them in step
with the generator), so reading them checks what `render_docs` writes for the real specs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def section(page: str, title: str) -> str:
    text = (ROOT / "docs/reference" / page).read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end]


@pytest.mark.parametrize(
    ("page", "rows"),
    [
        (
            "cacherefresh.md",
            [
                "| `purge_many(urls=..., dirs=...)` | [Purge](#purge) | `urls` (url), `dirs` (dir) "
                "| 500 | 5,000 purge_urls, 500 purge_dirs | `cdnetworks cacherefresh purge-many "
                "--urls-from FILE --dirs-from FILE` |",
                "| `purge_many_regex(patterns=...)` | [PurgeUrlsMatchingRegex]"
                "(#purgeurlsmatchingregex) | `patterns` (pattern) | 100 (no limit stated) "
                "| 500 regex_patterns | `cdnetworks cacherefresh purge-many-regex "
                "--patterns-from FILE` |",
            ],
        ),
        (
            "fileprefetch.md",
            [
                "| `prefetch_many(urls=...)` | [Prefetch](#prefetch) | `urls` (url) | 400 "
                "| 20,000 prefetch_urls | `cdnetworks fileprefetch prefetch-many "
                "--urls-from FILE` |",
            ],
        ),
    ],
)
def test_the_bulk_jobs_have_their_own_section_linking_the_guide(page: str, rows: list[str]) -> None:
    jobs = section(page, "Bulk jobs")
    assert "[Bulk purge and prefetch](../bulk-jobs.md)" in jobs
    for row in rows:
        assert row in jobs


def test_a_batched_action_states_its_limits() -> None:
    purge = section("cacherefresh.md", "Actions").split("### Purge\n", 1)[1].split("###")[0]
    assert (
        "- Limits (checked before anything is sent): `urls` + `dirs`: at most 500 items a call "
        "together; `urls` (url): each at most 2000 characters, starting with `http://` or "
        "`https://`; `dirs` (dir): each at most 1000 characters, starting with `http://` or "
        "`https://`, ending with `/`; daily quota 5,000 purge_urls, 500 purge_dirs "
        "(remaining: `GetPurgeQuota`)"
    ) in purge
    assert "## Bulk jobs" not in (ROOT / "docs/reference/ipcheck.md").read_text(encoding="utf-8")
