"""index attempts (round_id, grace_seconds): the longest grace of a round without a scan

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 07:40:00.000000
"""
from __future__ import annotations

from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_index('ix_attempts_round_grace', ['round_id', 'grace_seconds'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_attempts_round_grace')
