"""excluded_people (the list of people who may not enter) and per-contest screening thresholds

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 11:45:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import contest.models.base


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('excluded_people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.String(length=12), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('row', sa.Integer(), nullable=False),
    sa.Column('added_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('added_by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_excluded_people_contest_id_contests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_excluded_people')),
    sa.UniqueConstraint('contest_id', 'citizen_id', name=op.f('uq_excluded_people_contest_id_citizen_id'))
    )
    with op.batch_alter_table('excluded_people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_excluded_people_contest_id'), ['contest_id'], unique=False)
    with op.batch_alter_table('contests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_seconds_per_question', sa.Float(), server_default='1.0', nullable=True))
        batch_op.add_column(sa.Column('require_all_answered', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('contests', schema=None) as batch_op:
        batch_op.drop_column('require_all_answered')
        batch_op.drop_column('min_seconds_per_question')
    with op.batch_alter_table('excluded_people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_excluded_people_contest_id'))
    op.drop_table('excluded_people')
