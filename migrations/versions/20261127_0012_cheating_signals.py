"""cheating signals: where attempts start from, per-contest thresholds, runs and clusters

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 12:20:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import contest.models.base


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_ip', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('start_device', sa.String(length=40), server_default='', nullable=False))
    op.create_table('signal_settings',
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('updated_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_signal_settings_contest_id_contests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contest_id', name=op.f('pk_signal_settings'))
    )
    op.create_table('signal_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('computed_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('computed_by', sa.String(length=120), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('stats', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_signal_runs_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_signal_runs_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signal_runs'))
    )
    op.create_index('ix_signal_runs_round', 'signal_runs', ['round_id', 'computed_at'], unique=False)
    op.create_table('signal_clusters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('participant_ids', sa.JSON(), nullable=False),
    sa.Column('attempt_ids', sa.JSON(), nullable=False),
    sa.Column('reason_vi', sa.Text(), nullable=False),
    sa.Column('reason_en', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['signal_runs.id'], name=op.f('fk_signal_clusters_run_id_signal_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signal_clusters'))
    )
    op.create_index(op.f('ix_signal_clusters_run_id'), 'signal_clusters', ['run_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_signal_clusters_run_id'), table_name='signal_clusters')
    op.drop_table('signal_clusters')
    op.drop_index('ix_signal_runs_round', table_name='signal_runs')
    op.drop_table('signal_runs')
    op.drop_table('signal_settings')
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('start_device')
        batch_op.drop_column('start_ip')
