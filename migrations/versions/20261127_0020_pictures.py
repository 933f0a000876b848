"""question pictures: content-addressed pictures and the stem's picture list

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-27 15:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import contest.models.base


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pictures',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('webp_bytes', sa.Integer(), nullable=False),
    sa.Column('jpeg_bytes', sa.Integer(), nullable=False),
    sa.Column('webp_2x_bytes', sa.Integer(), nullable=True),
    sa.Column('created_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_pictures'))
    )
    with op.batch_alter_table('question_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pictures', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('question_versions', schema=None) as batch_op:
        batch_op.drop_column('pictures')
    op.drop_table('pictures')
