"""The API's JSON parser: DRF's, plus a limit on nesting.

DRF's JSONParser turns only ValueError into a 400; a body nested deeper than Python's
recursion limit (`[[[[…]]]]`) raises RecursionError from the decoder, which would be a 500.
A body that parses but nests far deeper than any of ours is refused too, because code after
the parser (the Idempotency-Key fingerprint, serializers) walks it recursively.
Set as the default parser and used wherever a view names its parsers.
"""

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Our deepest body is a draft's `content.lab.gates.<id>.note` (5 levels); this leaves room.
MAX_DEPTH = 32


def nesting_exceeds(value: Any, limit: int) -> bool:
    """Whether lists/objects nest more than `limit` levels; iterative, so it cannot recurse."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested more than {MAX_DEPTH} levels deep.") from None
        if nesting_exceeds(data, MAX_DEPTH):
            raise ParseError(f"JSON parse error - nested more than {MAX_DEPTH} levels deep.")
        return data
