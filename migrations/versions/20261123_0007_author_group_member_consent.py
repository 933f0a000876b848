"""author group members accept their invitation: status and accepted_at

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 05:20:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import contest.models.base


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Members recorded before invitations existed were entered by their group's contact or the
    # secretariat; they stay members.
    with op.batch_alter_table('author_group_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='accepted', nullable=False))
        batch_op.add_column(sa.Column('accepted_at', contest.models.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('author_group_members', schema=None) as batch_op:
        batch_op.drop_column('accepted_at')
        batch_op.drop_column('status')
