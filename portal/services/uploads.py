"""Evidence files: their type is read from their content, never from their name, and they are
kept outside the web root under random names."""

import csv
import hashlib
import io
import secrets
import unicodedata
import zipfile
from pathlib import Path

from flask import current_app

from portal.errors import DomainError

ALLOWED_TYPES = {
    "pdf": ("PDF", "application/pdf"),
    "docx": ("Word document (DOCX)", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "odt": ("OpenDocument text (ODT)", "application/vnd.oasis.opendocument.text"),
    "xlsx": ("Excel spreadsheet (XLSX)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": ("CSV", "text/csv"),
}
ALLOWED_LABEL = "PDF, DOCX, ODT, XLSX or CSV"


def _zip_type(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").strip() == b"application/vnd.oasis.opendocument.text":
                return "odt"
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return "docx"
                if "xl/workbook.xml" in names:
                    return "xlsx"
    except (zipfile.BadZipFile, KeyError, OSError):
        return None
    return None


def _is_csv(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    rows = [row for row in csv.reader(io.StringIO(text[:65536])) if row]
    return bool(rows) and len(rows[0]) >= 2


def detect_type(data: bytes) -> str | None:
    """The file's type from its first bytes and structure, or None if it is not an allowed type."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _zip_type(data)
    if _is_csv(data):
        return "csv"
    return None


MAX_DISPLAY_NAME = 120


def display_name(filename: str) -> str:
    """The name we keep and offer for download: the last part of what the browser sent (some send a whole
    path), without control or invisible format characters, and at most MAX_DISPLAY_NAME characters with its
    extension kept."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if character.isspace() else character for character in name
                   if unicodedata.category(character) not in ("Cc", "Cf") or character.isspace())
    name = " ".join(name.split()).strip(". ")
    if len(name) > MAX_DISPLAY_NAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[:MAX_DISPLAY_NAME - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:MAX_DISPLAY_NAME].rstrip()
    return name or "document"


def download_name(filename: str, file_type: str) -> str:
    """The name to offer for a stored file, ending in the extension of its real type."""
    name = display_name(filename)
    if not name.lower().endswith("." + file_type):
        name = display_name(f"{name.rsplit('.', 1)[0]}.{file_type}")
    return name


def size_label(size: int) -> str:
    """A byte count for people, rounded down: 10 MB, 100 KB, 200 bytes (never "0 MB")."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def check(data: bytes, filename: str) -> str:
    """Return the file type, or raise a DomainError the provider can act on."""
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    if not filename:
        raise DomainError("Select a file", field="file")
    filename = display_name(filename)
    if not data:
        raise DomainError(f"The selected file {filename} is empty", field="file")
    if len(data) > limit:
        raise DomainError(f"The selected file must be {size_label(limit)} or smaller", field="file")
    file_type = detect_type(data)
    if file_type is None:
        raise DomainError(f"The selected file {filename} must be a {ALLOWED_LABEL}: its content is not one of these",
                          field="file")
    # Text with a comma reads as CSV: refuse it when its name says it is another type (notes.txt renamed .pdf).
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in ALLOWED_TYPES and extension != file_type:
        raise DomainError(f"The selected file {filename} must be a {ALLOWED_LABEL}: its name says "
                          f"{extension.upper()} but its content is not", field="file")
    return file_type


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def folder() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(data: bytes) -> str:
    name = secrets.token_hex(24)
    (folder() / name).write_bytes(data)
    return name


def path_of(stored_name: str) -> Path:
    return folder() / stored_name


def discard(stored_name: str) -> None:
    path_of(stored_name).unlink(missing_ok=True)
