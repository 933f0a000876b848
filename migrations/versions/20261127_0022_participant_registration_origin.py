"""where each participant registered from: address and device cookie

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-27 14:50:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('participants') as batch:
        batch.add_column(sa.Column('registered_ip', sa.String(length=45), server_default='', nullable=False))
        batch.add_column(sa.Column('registered_device', sa.String(length=40), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('participants') as batch:
        batch.drop_column('registered_device')
        batch.drop_column('registered_ip')
