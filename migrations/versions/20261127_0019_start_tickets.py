"""start_tickets: the waiting room for starts when the site is full

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-27 15:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import contest.models.base


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('start_tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('created_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('seen_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('served_at', contest.models.base.UTCDateTime(), nullable=True),
    sa.Column('attempt_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_start_tickets_attempt_id_attempts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_start_tickets_participant_id_participants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_start_tickets_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_start_tickets'))
    )
    with op.batch_alter_table('start_tickets', schema=None) as batch_op:
        batch_op.create_index('ix_start_tickets_state_id', ['state', 'id'], unique=False)
        batch_op.create_index('ix_start_tickets_participant_round', ['participant_id', 'round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_start_tickets_served_at'), ['served_at'], unique=False)


def downgrade() -> None:
    op.drop_table('start_tickets')
