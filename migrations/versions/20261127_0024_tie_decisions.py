"""tie decisions: the committee's settled ties, kept across allocations and versions

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-27 15:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import contest.models.base


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tie_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('prize_list_id', sa.Integer(), nullable=True),
    sa.Column('entry_ids', sa.JSON(), nullable=False),
    sa.Column('criterion', sa.String(length=32), nullable=False),
    sa.Column('reason_vi', sa.Text(), nullable=False),
    sa.Column('reason_en', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.String(length=120), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_tie_decisions_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_tie_decisions_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['prize_list_id'], ['prize_lists.id'], name=op.f('fk_tie_decisions_prize_list_id_prize_lists'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tie_decisions'))
    )
    op.create_index('ix_tie_decisions_scope', 'tie_decisions', ['contest_id', 'kind'], unique=False)
    with op.batch_alter_table('prize_list_entries') as batch_op:
        batch_op.add_column(sa.Column('tie_decision_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f('fk_prize_list_entries_tie_decision_id_tie_decisions'),
            'tie_decisions', ['tie_decision_id'], ['id'],
        )


def downgrade() -> None:
    with op.batch_alter_table('prize_list_entries') as batch_op:
        batch_op.drop_constraint(
            op.f('fk_prize_list_entries_tie_decision_id_tie_decisions'), type_='foreignkey'
        )
        batch_op.drop_column('tie_decision_id')
    op.drop_index('ix_tie_decisions_scope', table_name='tie_decisions')
    op.drop_table('tie_decisions')
