"""``--query EXPR``: a JMESPath expression over the JSON result, as in aws-cli.

jmespath is imported only when the option is used: it costs every other run nothing.
"""

from __future__ import annotations

from typing import Any

from .parser import UsageError


def compile_query(expression: str) -> Any:
    """The compiled expression; a syntax error is a `UsageError` naming the column."""
    try:
        import jmespath
        from jmespath.exceptions import JMESPathError, ParseError
    except ImportError:  # pragma: no cover - a dependency of the distribution
        raise UsageError("--query needs the jmespath package (pip install jmespath)") from None
    try:
        return jmespath.compile(expression)
    except ParseError as exc:
        raise UsageError(
            f"--query: {exc.msg} at column {exc.lex_position} of {expression!r}"
        ) from None
    except JMESPathError as exc:
        raise UsageError(f"--query: {' '.join(str(exc).split())}") from None


def apply_query(compiled: Any, data: Any) -> Any:
    from jmespath.exceptions import JMESPathError

    try:
        return compiled.search(data)
    except JMESPathError as exc:  # a function given the wrong type, for example
        raise UsageError(f"--query: {' '.join(str(exc).split())}") from None
