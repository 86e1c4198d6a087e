"""What every HTML report must be, read with the standard library's parser: well formed (each
element closed in order), self-contained (no src, href or CSS that names the network: no
http(s): or protocol-relative URL, no @import, no url(); images are data URIs) and readable by a
screen reader (one h1, headings that skip no level, alt text on every image, a scope on every
table header cell)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"meta", "img", "br", "hr", "input", "link", "wbr", "col", "source"}
SVG_EMPTY = {"rect", "line", "path", "circle"}  # closed as <rect .../> in the dashboard's charts
EXTERNAL = re.compile(r"^\s*(https?:|//|ftp:)", re.IGNORECASE)


@dataclass
class Page(HTMLParser):
    """The parsed page: its problems, images, links, headings and text."""

    problems: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    headings: list[int] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    open: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        for name in ("src", "href", "action", "poster", "data"):
            if name in found and EXTERNAL.match(found[name] or ""):
                self.problems.append(f"<{tag} {name}={found[name]!r}>: a URL of the network")
        if tag == "img":
            self.images.append(found)
            if not (found.get("alt") or "").strip():
                self.problems.append("an image without alt text")
        if tag == "th" and found.get("scope") not in ("col", "row", "colgroup", "rowgroup"):
            self.problems.append("a table header cell without a scope")
        if tag == "a" and "href" in found:
            self.links.append(found["href"])
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        inside = self.open[-1] if self.open else ""
        if inside == "style" and re.search(r"@import|url\(", data):
            self.problems.append("a stylesheet that loads from elsewhere (@import, url())")
        if inside not in ("style", "script"):
            self.text.append(data)


def parsed(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def page_problems(html: str) -> list[str]:
    """Everything that keeps the page from being a valid, self-contained, readable report."""
    page = parsed(html)
    problems = list(page.problems)
    if page.open:
        problems.append(f"elements never closed: {page.open}")
    if page.headings.count(1) != 1:
        problems.append(f"{page.headings.count(1)} h1 headings")
    skips = [(a, b) for a, b in zip(page.headings, page.headings[1:], strict=False) if b > a + 1]
    if skips:
        problems.append(f"headings that skip a level: {skips}")
    if not html.lstrip().lower().startswith("<!doctype html>"):
        problems.append("no doctype")
    if "Content-Security-Policy" not in html:
        problems.append("no Content-Security-Policy")
    return problems


def text_of(html: str) -> str:
    """The page's text as a reader gets it, without its style and script."""
    page = parsed(html)
    return re.sub(r"[ \t]+", " ", "".join(page.text))


def drawn_png(width: int, height: int) -> bytes:
    """A real PNG of this size in pixels: a line drawn with matplotlib, as the grader draws."""
    import io

    from matplotlib.figure import Figure as Drawing

    drawing = Drawing(figsize=(width / 100, height / 100), dpi=100)
    axes = drawing.add_subplot()
    axes.plot([1, 2, 3, 4], [0.9, 0.5, 0.3, 0.25], label="loss")
    axes.set_xlabel("epoch")
    axes.legend()
    buffer = io.BytesIO()
    drawing.savefig(buffer, format="png")
    return buffer.getvalue()
