"""PostgreSQL's ordered-set aggregate for percentiles, which Django does not ship."""

from django.db.models import Aggregate, DurationField


class PercentileCont(Aggregate):
    """percentile_cont(fraction) WITHIN GROUP (ORDER BY expression): the value at `fraction`
    of the ordered values, interpolated between the two nearest (PostgreSQL only; callers
    fall back to insights.selectors.percentile elsewhere)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        # The fraction is written into the SQL text, so only a real number in [0, 1] may pass.
        fraction = float(fraction)
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("A percentile's fraction lies between 0 and 1.")
        super().__init__(expression, fraction=repr(fraction), output_field=DurationField(), **extra)
