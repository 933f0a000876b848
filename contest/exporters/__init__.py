"""Exporters: question banks out to files the importers read back without loss, and the
decision annex of a prize list (``exporters.annex``)."""

from contest.exporters.gift import export_gift
from contest.exporters.xlsx import export_xlsx

__all__ = ["export_gift", "export_xlsx"]
