"""The gradebook's and the heatmap's rows as HTML, one string per row.

A page holds up to 50 students × 33 columns; rendering each cell through the template engine
cost most of a request's time, so each row is assembled here from fragments made once per
status. Nothing a user typed goes into a cell (states, scores and ids only); the student's
name is escaped."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from rubrics.selectors import GradeCell, GradeColumn, GradeRow, format_score
from submissions.models import WORK_STATUSES

_LATE = ' <span class="badge danger" title="Late">L<span class="visually-hidden">ate</span></span>'
_BADGE = {s.key: f'<span class="badge {s.tone}">{s.label}</span>' for s in WORK_STATUSES.values()}
_LINK_OPEN = {s.key: f'<a class="badge {s.tone}" href="{{base}}{{rev}}/">{s.label}</a>' for s in WORK_STATUSES.values()}
_EMPTY = '<span class="muted">–</span>'


def _gradebook_cell(cell: GradeCell, score_base: str) -> str:
    key = cell.status.key
    if cell.revision_id is not None:
        badge = _LINK_OPEN[key].format(base=score_base, rev=cell.revision_id)
    elif cell.has_work or key == "missing":
        badge = _BADGE[key]
    else:
        badge = _EMPTY
    score = f'<span class="gb-score">{format_score(cell.score)}</span>' if cell.score is not None else ""
    # No class on the cell: its badge says the state (word and tone), and a class on each of a
    # page's 1,200 cells was an eighth of its bytes for no rule of the stylesheet.
    return f"<td>{badge}{score}{_LATE if cell.is_late else ''}</td>"


def gradebook_row_html(row: GradeRow, *, progress_url: str, score_base: str) -> SafeString:
    """One gradebook row: the student (linked to their progress), total, average, a cell per
    column and the accepted count."""
    mark = ' <span class="badge danger gb-mark">at risk</span>' if row.marked else ""
    cells = "".join(_gradebook_cell(cell, score_base) for cell in row.cells)
    return mark_safe(  # the name is escaped; every other part is ours
        f'<tr><th scope="row" class="gb-student"><a href="{progress_url}">{escape(row.name)}</a>{mark}</th>'
        f'<td class="gb-num">{format_score(row.total)}</td><td class="gb-num">{format_score(row.average)}</td>'
        f'{cells}<td class="gb-num">{row.accepted}</td></tr>'
    )


_HEAT = {
    s.key: f'<td class="hm-cell hm-{s.key}" title="{{title}}: {s.label}{{late}}">'
    f'<span class="hm-letter" aria-hidden="true">{s.letter}</span>'
    f'<span class="visually-hidden">{s.label}{{late}}</span>{{mark}}</td>'
    for s in WORK_STATUSES.values()
}


def heatmap_titles(columns: list[GradeColumn]) -> list[str]:
    """Each column's name for the cells' tooltips, escaped once per page (titles are edited
    by people)."""
    return [escape(f"{c.label} {c.title}") for c in columns]


def heatmap_row_html(row: GradeRow, *, titles: list[str], progress_url: str) -> SafeString:
    """One heatmap row: a coloured square per column (state colour, its letter for those who
    cannot tell colours apart, the label for screen readers, a dot when late). `titles`:
    heatmap_titles."""
    cells = "".join(
        _HEAT[cell.status.key].format(
            title=title,
            late=", late" if cell.is_late else "",
            mark='<span class="hm-late" aria-hidden="true"></span>' if cell.is_late else "",
        )
        for cell, title in zip(row.cells, titles, strict=True)
    )
    mark = ' <span class="badge danger gb-mark">at risk</span>' if row.marked else ""
    return mark_safe(  # the name is escaped; every other part is ours
        f'<tr><th scope="row" class="hm-student"><a href="{progress_url}">{escape(row.name)}</a>{mark}</th>{cells}</tr>'
    )
