"""Question-bank exporters: drafts out to files that the importers read back without loss."""

from contest.exporters.gift import export_gift
from contest.exporters.xlsx import export_xlsx

__all__ = ["export_gift", "export_xlsx"]
