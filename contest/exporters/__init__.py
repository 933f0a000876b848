"""Exporters: question banks out to files the importers read back without loss, and the
decision annex of a prize list (``exporters.annex``)."""

from contest.exporters.gift import export_gift
from contest.exporters.moodle_xml import export_moodle_xml
from contest.exporters.xlsx import export_xlsx

__all__ = ["export_gift", "export_moodle_xml", "export_xlsx"]
