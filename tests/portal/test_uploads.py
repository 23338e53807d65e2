"""Evidence files: the type comes from the content, never the name."""

import io
import zipfile

import pytest

from portal.errors import DomainError
from portal.services import uploads
from tests.factories import PDF

REFUSED = "The selected file {} must be a PDF, DOCX, ODT, XLSX or CSV: its content is not one of these"


def zipped(files: dict[str, bytes], stored_first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:
            archive.writestr(zipfile.ZipInfo(stored_first), files[stored_first], compress_type=zipfile.ZIP_STORED)
        for name, data in files.items():
            if name != stored_first:
                archive.writestr(name, data)
    return buffer.getvalue()


CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def docx() -> bytes:
    return zipped({"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": b"<Relationships/>",
                   "word/document.xml": b"<w:document><w:body><w:p>Statement of purpose</w:p></w:body></w:document>"})


def xlsx() -> bytes:
    return zipped({"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": b"<Relationships/>",
                   "xl/workbook.xml": b"<workbook><sheets/></workbook>", "xl/worksheets/sheet1.xml": b"<worksheet/>"})


def odt(mimetype=b"application/vnd.oasis.opendocument.text") -> bytes:
    return zipped({"mimetype": mimetype, "content.xml": b"<office:document-content/>",
                   "META-INF/manifest.xml": b"<manifest:manifest/>"}, stored_first="mimetype")


EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(range(256)) * 4
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
PLAIN_TEXT = b"This is our statement of purpose.\nWe look after young people aged 16 to 18.\n"


@pytest.mark.parametrize(("data", "expected"), [
    (PDF, "pdf"),
    (docx(), "docx"),
    (xlsx(), "xlsx"),
    (odt(), "odt"),
    (b"lot,weekly price\nSemi-independence,1250.00\nFloating support,640.00\n", "csv"),
    ("\ufefflot;name,price\r\n1,\u00a31250\r\n".encode(), "csv"),  # with a byte-order mark, as Excel saves it
])
def test_allowed_types_are_recognised_from_their_content(app, data, expected):
    assert uploads.detect_type(data) == expected
    assert uploads.check(data, "evidence.bin") == expected


@pytest.mark.parametrize("data", [
    EXECUTABLE,
    ELF,
    PLAIN_TEXT,
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
    zipped({"readme.txt": b"just a zip"}),
    odt(b"application/vnd.oasis.opendocument.spreadsheet"),
    b"PK\x03\x04 not really a zip at all",
    b"name,price\x00\n",  # binary disguised as text
    b"\xff\xfe\xfa not utf-8, with, commas",
])
def test_other_content_is_not_an_allowed_type(app, data):
    assert uploads.detect_type(data) is None


@pytest.mark.parametrize("data", [EXECUTABLE, ELF, PLAIN_TEXT])
def test_a_file_renamed_pdf_is_refused_with_a_message(app, data):
    with pytest.raises(DomainError) as error:
        uploads.check(data, "statement-of-purpose.pdf")
    assert error.value.message == REFUSED.format("statement-of-purpose.pdf")
    assert error.value.field == "file"


def test_the_name_does_not_decide_the_type(app):
    assert uploads.check(docx(), "pricing") == "docx"
    assert uploads.check(PDF, "report.final") == "pdf"
    assert uploads.check(xlsx(), "PRICES.XLSX") == "xlsx"


def test_text_with_commas_renamed_pdf_is_refused(app):
    # Any text with a comma reads as CSV; named .pdf, it is not what it claims to be.
    data = b"This is our statement of purpose, typed as plain text.\n"
    assert uploads.detect_type(data) == "csv"
    with pytest.raises(DomainError) as error:
        uploads.check(data, "statement.pdf")
    assert error.value.message.startswith("The selected file statement.pdf must be a PDF, DOCX, ODT, XLSX or CSV")


def test_an_empty_file_is_refused(app):
    with pytest.raises(DomainError) as error:
        uploads.check(b"", "report.pdf")
    assert error.value.message == "The selected file report.pdf is empty"


def test_no_file_selected(app):
    with pytest.raises(DomainError, match="^Select a file$"):
        uploads.check(PDF, "")


def test_an_oversize_file_is_refused(app):
    app.config["MAX_UPLOAD_BYTES"] = 2 * 1024 * 1024
    limit = app.config["MAX_UPLOAD_BYTES"]
    assert uploads.check(PDF + b" " * (limit - len(PDF)), "big.pdf") == "pdf"  # exactly the limit is allowed
    with pytest.raises(DomainError) as error:
        uploads.check(PDF + b" " * (limit - len(PDF) + 1), "big.pdf")
    assert error.value.message == "The selected file must be 2 MB or smaller"


def test_an_oversize_file_is_refused_under_a_small_limit(app):
    app.config["MAX_UPLOAD_BYTES"] = 100 * 1024
    with pytest.raises(DomainError) as error:
        uploads.check(PDF + b" " * (100 * 1024), "big.pdf")
    assert error.value.message == "The selected file must be 100 KB or smaller"
    app.config["MAX_UPLOAD_BYTES"] = 200
    with pytest.raises(DomainError) as error:
        uploads.check(PDF + b" " * 200, "big.pdf")
    assert error.value.message == "The selected file must be 200 bytes or smaller"


@pytest.mark.parametrize(("sent", "kept"), [
    ("C:\\fakepath\\Insurance 2026.pdf", "Insurance 2026.pdf"),
    ("../../etc/passwd", "passwd"),
    ("Line\r\nbreak\x00.pdf", "Line break.pdf"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),
    ("  .hidden.pdf  ", "hidden.pdf"),
    ("/\x07/", "document"),
    ("x" * 200, "x" * 120),
    ("y" * 200 + ".docx", "y" * 115 + ".docx"),
])
def test_display_name_keeps_a_clean_short_name(sent, kept):
    assert uploads.display_name(sent) == kept
