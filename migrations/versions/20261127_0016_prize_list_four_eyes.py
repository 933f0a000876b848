"""four eyes on prize lists (who allocated and proposed each version, the contest setting) and
the one-prize rule each line followed

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 12:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('four_eyes', sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table('prize_lists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allocated_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('allocated_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('proposed_by_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('prize_list_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rule', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('prize_list_entries', schema=None) as batch_op:
        batch_op.drop_column('rule')
    with op.batch_alter_table('prize_lists', schema=None) as batch_op:
        batch_op.drop_column('proposed_by_id')
        batch_op.drop_column('allocated_by_id')
        batch_op.drop_column('allocated_by')
    with op.batch_alter_table('contests', schema=None) as batch_op:
        batch_op.drop_column('four_eyes')
