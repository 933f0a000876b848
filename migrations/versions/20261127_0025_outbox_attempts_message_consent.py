"""the outbox: notices get a state, retries and a record of every delivery attempt; staff may
receive messages; participants' consent to messages (Decree 13/2023)

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-27 14:40:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import contest.models.base


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.alter_column('contest_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('participant_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('staff_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('subject_vi', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('subject_en', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('essential', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('dedupe_key', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=12), server_default='pending', nullable=False))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_attempt_at', contest.models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.Text(), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_notices_staff_user_id_staff_users'), 'staff_users', ['staff_user_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_notices_staff_user_id'), ['staff_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notices_contest_id'), ['contest_id'], unique=False)
        batch_op.create_index('ix_notices_status_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_notices_dedupe_key'), ['dedupe_key'])
    # Rows that waited for a sender: sent ones keep their time, the others are due now.
    op.execute("UPDATE notices SET status = 'sent' WHERE sent_at IS NOT NULL")
    op.execute("UPDATE notices SET next_attempt_at = created_at WHERE sent_at IS NULL")

    op.create_table('notice_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_notice_attempts_notice_id_notices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_attempts'))
    )
    with op.batch_alter_table('notice_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_attempts_notice_id'), ['notice_id'], unique=False)

    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('messages_consent', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('messages_consent_at', contest.models.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_column('messages_consent_at')
        batch_op.drop_column('messages_consent')
    op.drop_table('notice_attempts')
    op.execute("DELETE FROM notices WHERE participant_id IS NULL OR contest_id IS NULL")
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_notices_dedupe_key'), type_='unique')
        batch_op.drop_index('ix_notices_status_due')
        batch_op.drop_index(batch_op.f('ix_notices_contest_id'))
        batch_op.drop_index(batch_op.f('ix_notices_staff_user_id'))
        batch_op.drop_constraint(batch_op.f('fk_notices_staff_user_id_staff_users'), type_='foreignkey')
        batch_op.drop_column('last_error')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('status')
        batch_op.drop_column('dedupe_key')
        batch_op.drop_column('essential')
        batch_op.drop_column('subject_en')
        batch_op.drop_column('subject_vi')
        batch_op.drop_column('staff_user_id')
        batch_op.alter_column('participant_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('contest_id', existing_type=sa.Integer(), nullable=False)
