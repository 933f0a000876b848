"""notices (messages owed to participants) and claims on a CCCD someone else registered

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27 12:50:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import contest.models.base


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('message_vi', sa.Text(), nullable=False),
    sa.Column('message_en', sa.Text(), nullable=False),
    sa.Column('created_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('sent_at', contest.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_notices_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_notices_participant_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notices_sent_at'), ['sent_at'], unique=False)


    op.create_table('citizen_id_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.String(length=12), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=15), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('holder_participant_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('filed_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_citizen_id_claims_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['holder_participant_id'], ['participants.id'], name=op.f('fk_citizen_id_claims_holder_participant_id_participants'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_citizen_id_claims'))
    )
    with op.batch_alter_table('citizen_id_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_citizen_id_claims_contest_id'), ['contest_id'], unique=False)
    op.create_table('citizen_id_claim_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.String(length=120), nullable=False),
    sa.Column('decided_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['citizen_id_claims.id'], name=op.f('fk_citizen_id_claim_decisions_claim_id_citizen_id_claims'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_citizen_id_claim_decisions'))
    )
    with op.batch_alter_table('citizen_id_claim_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_citizen_id_claim_decisions_claim_id'), ['claim_id'], unique=False)


def downgrade() -> None:
    op.drop_table('citizen_id_claim_decisions')
    op.drop_table('citizen_id_claims')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notices_sent_at'))
        batch_op.drop_index(batch_op.f('ix_notices_participant_id'))
    op.drop_table('notices')
