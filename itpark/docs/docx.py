"""The dossiers as DOCX, so the owner completes and signs the official copy without copying it by hand.

python-docx makes the package once (styles, settings, page setup, the running header with the version and a
page-number field); each dossier then gets its own body, written as WordprocessingML from the same blocks the
Markdown and HTML pages are made of, and its own core properties. Bytes are deterministic: the core
properties' dates are the as-of date (or a fixed day), the zip entries carry a fixed timestamp and order, so
the same inputs give the same file. A 1,000-tenant park has thousands of dossiers, which is why the package
is not rebuilt for each one.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt

from itpark.docs.dossier import Block, Code, Todo

ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can say: no build time leaks into the bytes
FIXED_DAY = date(2026, 1, 1)  # core-properties date when no as-of date is known
FONT = "Times New Roman"  # the usual face of Vietnamese official documents; full Vietnamese glyph coverage
MONO = "DejaVu Sans Mono"
_W = nsdecls("w")


@cache
def _package() -> tuple[tuple[zipfile.ZipInfo, bytes], ...]:
    """The template package made by python-docx, as (entry, bytes) in the package's order."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE  # wide requirement tables
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(11)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        doc.styles[name].font.name = FONT
    header = section.header.paragraphs[0]
    header.text = "{{HEADER}}"  # replaced per dossier (the version line)
    footer = section.footer.paragraphs[0]
    footer._p.append(parse_xml(f'<w:fldSimple {_W} w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
    buffer = io.BytesIO()
    doc.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as z:
        return tuple((info, z.read(info.filename)) for info in z.infolist())


def dossier_docx(blocks: Iterable[Block], title: str, header: str, lang: str, day: date | None) -> bytes:
    """One dossier as a .docx file."""
    body = "".join(_block(b) for b in blocks)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in _package():
            if info.filename == "word/document.xml":
                data = _document(data, body)
            elif info.filename == "docProps/core.xml":
                data = _core(title, lang, day or FIXED_DAY)
            elif info.filename.startswith("word/header"):
                data = data.replace(b"{{HEADER}}", escape(header).encode("utf-8"))
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            z.writestr(entry, data)
    return out.getvalue()


def _document(template: bytes, body: str) -> bytes:
    """The template's document.xml with its (empty) body content replaced, keeping the section properties."""
    text = template.decode("utf-8")
    start = text.index("<w:body>") + len("<w:body>")
    sect = text.index("<w:sectPr", start)
    return (text[:start] + body + text[sect:]).encode("utf-8")


def _core(title: str, lang: str, day: date) -> bytes:
    stamp = datetime(day.year, day.month, day.day).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(title)}</dc:title><dc:creator>itpark</dc:creator><dc:language>{lang}</dc:language>"
        "<cp:lastModifiedBy>itpark</cp:lastModifiedBy><cp:revision>1</cp:revision>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    ).encode()


def _run(text: str, bold: bool = False) -> str:
    props = []
    if bold:
        props.append("<w:b/>")
    if text.__class__ is Code:
        props.append(f'<w:rFonts w:ascii="{MONO}" w:hAnsi="{MONO}" w:cs="{MONO}"/><w:sz w:val="18"/>')
    elif text.__class__ is Todo:
        props.append('<w:i/><w:highlight w:val="yellow"/>')
    rpr = f"<w:rPr>{''.join(props)}</w:rPr>" if props else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{escape(str(text))}</w:t></w:r>'


def _para(text: str, style: str = "", bold: bool = False) -> str:
    ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{ppr}{_run(text, bold)}</w:p>"


def _block(b: Block) -> str:
    if b.kind in ("h1", "h2", "h3"):
        return _para(b.text, f"Heading{b.kind[1]}")
    if b.kind == "p":
        return _para(b.text)
    if b.kind == "note":
        return f'<w:p><w:pPr><w:ind w:left="284"/></w:pPr>{_run(b.text)}</w:p>'
    if b.kind == "img":
        return _para(f"[{b.anchor}: {b.text.rsplit('/', 1)[-1]}]")
    head = "".join(f"<w:tc>{_para(h, bold=True)}</w:tc>" for h in b.head)
    rows = "".join("<w:tr>" + "".join(f"<w:tc>{_para(c)}</w:tc>" for c in row) + "</w:tr>" for row in b.rows)
    return (
        '<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="5000" w:type="pct"/></w:tblPr>'
        f"<w:tblGrid/><w:tr><w:trPr><w:tblHeader/></w:trPr>{head}</w:tr>{rows}</w:tbl><w:p/>"
    )
