"""draft contests, the cheating rule, selectable units and the device cookie of sessions

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 12:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import contest.models.base


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Contests that exist already are running in public: they stay published.
    with op.batch_alter_table('contests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='published', nullable=False))
        batch_op.add_column(sa.Column('published_at', contest.models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('cheating_voids_all', sa.Boolean(), server_default='false', nullable=False))
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('selectable', sa.Boolean(), server_default='false', nullable=False))
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device', sa.String(length=40), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_web_sessions_device'), ['device'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_device'))
        batch_op.drop_column('device')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('selectable')
    with op.batch_alter_table('contests', schema=None) as batch_op:
        batch_op.drop_column('cheating_voids_all')
        batch_op.drop_column('published_at')
        batch_op.drop_column('status')
