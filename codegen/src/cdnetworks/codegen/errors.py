"""The one error of the code generator: a malformed spec or input, said in one line."""

from __future__ import annotations


class SpecError(Exception):
    """A spec, an override or an input the generator cannot use.

    The message names the file, then the product, action and field where they apply.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        product: str | None = None,
        action: str | None = None,
        field: str | None = None,
    ) -> None:
        where = [
            part
            for part in (
                file,
                product and f"product {product}",
                action and f"action {action}",
                field and f"field {field}",
            )
            if part
        ]
        super().__init__(f"{': '.join(where)}: {message}" if where else message)
