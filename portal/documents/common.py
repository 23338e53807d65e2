"""The building blocks shared by every PDF the portal makes: marks and reference outcomes in words, the
paragraph styles, tables, label/value details and the page footer. Money and scores are written by
portal.formatting, the same functions the pages use (rounded half up).

reportlab's platypus lays out each document; `build` returns it as bytes.
"""

from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from portal.models.evaluation import SATISFACTORY, UNSATISFACTORY

PORTAL_NAME = "Placements portal"
MARGIN = 18 * mm
GRID_COLOUR = colors.HexColor("#b1b4b6")
HEADER_FILL = colors.HexColor("#e8edf2")
BAND_FILL = colors.HexColor("#f6f7f8")
ACCENT = colors.HexColor("#1d70b8")


# Words -------------------------------------------------------------------------------------------

def mark(question, score: int | None) -> str:
    """A score as people read it: "Pass" or "Fail" for a pass/fail question, "4 out of 5" otherwise."""
    if score is None:
        return "Not scored"
    if question.is_pass_fail:
        return "Pass" if score >= 1 else "Fail"
    return f"{score} out of {question.max_score}"


def reference_label(outcome: str | None) -> str:
    return {SATISFACTORY: "Satisfactory", UNSATISFACTORY: "Unsatisfactory"}.get(outcome or "", "Not recorded")


# Styles and building blocks --------------------------------------------------------------------------

def styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("Body", parent=base["BodyText"], fontName="Helvetica", fontSize=10, leading=13,
                          spaceAfter=6)
    return {
        "body": body,
        "small": ParagraphStyle("Small", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0),
        "small_bold": ParagraphStyle("SmallBold", parent=body, fontName="Helvetica-Bold", fontSize=8.5,
                                     leading=10.5, spaceAfter=0),
        "small_bold_right": ParagraphStyle("SmallBoldRight", parent=body, fontName="Helvetica-Bold", fontSize=8.5,
                                           leading=10.5, spaceAfter=0, alignment=TA_RIGHT),
        "small_right": ParagraphStyle("SmallRight", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0,
                                      alignment=TA_RIGHT),
        "title": ParagraphStyle("Title", parent=base["Title"], fontName="Helvetica-Bold", fontSize=17, leading=21,
                                alignment=0, spaceAfter=8),
        "h2": ParagraphStyle("H2", parent=base["Heading2"], fontName="Helvetica-Bold", fontSize=13, leading=16,
                             spaceBefore=10, spaceAfter=5, keepWithNext=1),
        "h3": ParagraphStyle("H3", parent=base["Heading3"], fontName="Helvetica-Bold", fontSize=11, leading=14,
                             spaceBefore=8, spaceAfter=4, keepWithNext=1),
        "letterhead": ParagraphStyle("Letterhead", parent=body, fontName="Helvetica-Bold", fontSize=15, leading=18,
                                     textColor=ACCENT, spaceAfter=0),
        "letterhead_sub": ParagraphStyle("LetterheadSub", parent=body, fontSize=10, leading=13,
                                         textColor=colors.HexColor("#505a5f")),
    }


def text(value) -> str:
    """User-entered text made safe for a Paragraph, line breaks kept."""
    return escape(str(value if value is not None else "")).replace("\r\n", "\n").replace("\n", "<br/>")


def para(value, style: ParagraphStyle, *, markup: bool = False) -> Paragraph:
    return Paragraph(value if markup else text(value), style)


def table(rows: list[list], widths: list[float], styles: dict, *, header_rows: int = 1,
           right_columns: tuple[int, ...] = (), bold_rows: tuple[int, ...] = ()) -> Table:
    """A table that splits across pages with its header repeated; every cell wrapped in a Paragraph."""
    cells = []
    for number, row in enumerate(rows):
        line = []
        for column, value in enumerate(row):
            if isinstance(value, Paragraph):
                line.append(value)
                continue
            if number < header_rows:
                style = styles["small_bold"]
            elif number in bold_rows:
                style = styles["small_bold_right" if column in right_columns else "small_bold"]
            elif column in right_columns:
                style = styles["small_right"]
            else:
                style = styles["small"]
            line.append(para(value, style))
        cells.append(line)
    table = Table(cells, colWidths=widths, repeatRows=header_rows, splitInRow=1, hAlign="LEFT")
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID_COLOUR),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header_rows:
        commands.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), HEADER_FILL))
    for row in bold_rows:
        commands.append(("BACKGROUND", (0, row), (-1, row), BAND_FILL))
    table.setStyle(TableStyle(commands))
    return table


def details(pairs: list[tuple[str, str]], width: float, styles: dict) -> Table:
    """Label/value pairs, as a borderless two-column table."""
    rows = [[para(label, styles["small_bold"]), para(value, styles["small"])] for label, value in pairs]
    table = Table(rows, colWidths=[width * 0.3, width * 0.7], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


def _page_footer(text: str):
    def draw(canvas, document):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(colors.HexColor("#505a5f"))
        canvas.drawString(document.leftMargin, 10 * mm, text)
        canvas.drawRightString(document.pagesize[0] - document.rightMargin, 10 * mm, f"Page {document.page}")
        canvas.restoreState()
    return draw


def build(story: list, *, pagesize, title: str, author: str, subject: str, footer: str) -> bytes:
    buffer = BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=pagesize, leftMargin=MARGIN, rightMargin=MARGIN,
                                 topMargin=MARGIN, bottomMargin=MARGIN, title=title, author=author,
                                 subject=subject, creator=PORTAL_NAME)
    draw = _page_footer(footer)
    document.build(story, onFirstPage=draw, onLaterPages=draw)
    return buffer.getvalue()
