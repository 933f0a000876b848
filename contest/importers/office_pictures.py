"""Pictures of Office files: where an .xlsx drawing anchors each picture, and its bytes.

openpyxl keeps no pictures when it reads a workbook, so the drawing parts are read here:
a sheet's relationships name its drawing; each anchor in the drawing gives the cell of its
top-left corner (0-based column and row) and the picture's name and description (Excel's
"Alt Text"), and the drawing's relationships give the media file.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
import zipfile
from collections import defaultdict

import defusedxml
from defusedxml.ElementTree import fromstring

from contest.importers.pictures import CellPictures, SourcePicture

_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ANCHORS = ("twoCellAnchor", "oneCellAnchor")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _xml(archive: zipfile.ZipFile, part: str) -> ET.Element | None:
    try:
        raw = archive.read(part)
    except KeyError:
        return None
    try:
        return fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ET.ParseError, defusedxml.DefusedXmlException):
        return None


def relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id -> (type, target part path)."""
    folder, name = posixpath.split(part)
    root = _xml(archive, posixpath.join(folder, "_rels", name + ".rels"))
    found: dict[str, tuple[str, str]] = {}
    if root is None:
        return found
    for rel in root:
        target = rel.get("Target") or ""
        if rel.get("TargetMode") == "External":
            continue
        path = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(folder, target))
        )
        found[rel.get("Id") or ""] = (rel.get("Type") or "", path)
    return found


def sheet_pictures(archive: zipfile.ZipFile, sheet_part: str) -> tuple[CellPictures, int]:
    """The pictures anchored on a sheet, by (row number, 0-based column), and how many pictures
    float with no cell (absolute anchors), which cannot belong to a row."""
    cells: dict[tuple[int, int], list[SourcePicture]] = defaultdict(list)
    floating = 0
    sheet_part = sheet_part.lstrip("/")
    for kind, drawing in relationships(archive, sheet_part).values():
        if not kind.endswith("/drawing"):
            continue
        root = _xml(archive, drawing)
        if root is None:
            continue
        media = relationships(archive, drawing)
        for anchor in root:
            pics = [el for el in anchor.iter() if _local(el.tag) == "pic"]
            if not pics:
                continue
            start = next((el for el in anchor if _local(el.tag) == "from"), None)
            if _local(anchor.tag) not in _ANCHORS or start is None:
                floating += len(pics)
                continue
            at = {_local(el.tag): (el.text or "").strip() for el in start}
            try:
                row, col = int(at.get("row", "")) + 1, int(at.get("col", ""))
            except ValueError:
                floating += len(pics)
                continue
            for pic in pics:
                props = next((el for el in pic.iter() if _local(el.tag) == "cNvPr"), None)
                blip = next((el for el in pic.iter() if _local(el.tag) == "blip"), None)
                target = media.get(blip.get(f"{{{_R}}}embed", "") if blip is not None else "")
                if target is None:
                    continue
                try:
                    data = archive.read(target[1])
                except KeyError:
                    continue
                name = props.get("name", "") if props is not None else ""
                alt = (props.get("descr") or props.get("title") or "") if props is not None else ""
                cells[(row, col)].append(
                    SourcePicture(data, alt, name or posixpath.basename(target[1]))
                )
    return dict(cells), floating
