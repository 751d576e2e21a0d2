"""The sample extractor finds what a reader sees as Python code, and only that."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.samples import extract

PAGE = """# A page

```python
x = 1
```

```bash
echo not python
```

!!! note
    ```python title="indented in an admonition"
    y = x + 1
    ```

```python
# docs: no-run (needs a real account)
z = 3
```

````markdown
```python
inside = "a fence in a longer fence is text"
```
````

```python
--8<--
{snippet}
--8<--
w = VALUE
```

```console
$ cdnetworks imagemanage vmp-query-image \\
    --limit 1
{{"images": []}}
$ echo done
done
```
"""


def _page(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(text)
    return page


def test_extracts_python_blocks_with_lines_markers_and_snippets(tmp_path: Path) -> None:
    snippet = tmp_path / "snippet.py"
    snippet.write_text("VALUE = 42\n")
    samples = extract(_page(tmp_path, PAGE.format(snippet=snippet)))
    console = samples.pop()
    assert console.lang == "console"
    assert console.code == "cdnetworks imagemanage vmp-query-image \\\n    --limit 1\necho done\n"
    assert [s.code for s in samples] == [
        "x = 1\n",
        "y = x + 1\n",
        "# docs: no-run (needs a real account)\nz = 3\n",
        "VALUE = 42\nw = VALUE\n",
    ]
    assert [s.line for s in samples] == [4, 13, 17, 28]
    assert [s.skip_reason for s in samples] == [None, None, "needs a real account", None]
    namespace: dict[str, object] = {}
    exec(samples[0].compiled(), namespace)  # noqa: S102
    assert namespace["x"] == 1


def test_errors_point_at_the_page_line(tmp_path: Path) -> None:
    page = _page(tmp_path, "text\n\n```python\nok = 1\nraise KeyError('boom')\n```\n")
    (sample,) = extract(page)
    with pytest.raises(KeyError) as info:
        exec(sample.compiled(), {})  # noqa: S102
    frame = info.traceback[-1]
    assert str(frame.path) == str(page)
    assert frame.lineno + 1 == 5  # the page's line (pytest counts from 0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("```python\n# docs: no-run\nx = 1\n```\n", "needs a reason"),
        ("```python\nx = 1\n", "never closed"),
    ],
)
def test_refuses_unclear_pages(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        extract(_page(tmp_path, text))
