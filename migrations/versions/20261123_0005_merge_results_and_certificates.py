"""merge the results (0003) and certificates (0004) branches

Revision ID: 0005
Revises: 0003, 0004
Create Date: 2026-11-23 04:45:00
"""
from __future__ import annotations

revision = "0005"
down_revision = ("0003", "0004")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
