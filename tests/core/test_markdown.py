import pytest

from core.markdown import render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="javascript&colon;alert(1)">x</a>',
    "<svg onload=alert(1)><circle r=1></svg>",
    "<iframe src=https://evil.example></iframe>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<object data=x></object><embed src=x>",
    '<form action="https://evil.example"><input name=a></form>',
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    '![x](x" onerror="alert(1))',
    "<details open ontoggle=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_markdown_never_produces_active_content(payload):
    html = render_markdown(f"Text before\n\n{payload}\n\nText after").lower()
    for forbidden in (
        "<script",
        "onerror",
        "onload",
        "ontoggle",
        "javascript:",
        "data:text/html",
        "<iframe",
        "<svg",
        "<object",
        "<embed",
        "<form",
        "<input",
        "style=",
        "<math",
    ):
        assert forbidden not in html, (payload, html)


def test_ordinary_markdown_renders():
    html = render_markdown("# Title\n\n**bold** and `code` and [a link](https://example.com)\n\n- one\n- two")
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert "<code>code</code>" in html
    assert 'href="https://example.com"' in html
    assert 'rel="nofollow noopener noreferrer"' in html
    assert "<li>one</li>" in html


def test_tables_and_fenced_code_survive():
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\n```\nx = 1 < 2\n```")
    assert "<table>" in html and "<td>1</td>" in html
    assert "x = 1 &lt; 2" in html


def test_empty_input_is_empty():
    assert render_markdown("") == ""
