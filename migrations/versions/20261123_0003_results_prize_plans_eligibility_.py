"""results: prize plans, eligibility decisions, round results, prize lists, key corrections

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 04:16:59.228427
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import contest.models.base


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('eligibility_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('subject_kind', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('eligible', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.String(length=120), nullable=False),
    sa.Column('decided_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_eligibility_decisions_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_eligibility_decisions_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eligibility_decisions'))
    )
    with op.batch_alter_table('eligibility_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eligibility_decisions_contest_id'), ['contest_id'], unique=False)
        batch_op.create_index('ix_eligibility_decisions_subject', ['subject_kind', 'subject_id'], unique=False)

    op.create_table('prize_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('proposed_at', contest.models.base.UTCDateTime(), nullable=True),
    sa.Column('proposed_by', sa.String(length=120), nullable=True),
    sa.Column('approved_at', contest.models.base.UTCDateTime(), nullable=True),
    sa.Column('approved_by', sa.String(length=120), nullable=True),
    sa.Column('published_at', contest.models.base.UTCDateTime(), nullable=True),
    sa.Column('published_by', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_prize_lists_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_prize_lists_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supersedes_id'], ['prize_lists.id'], name=op.f('fk_prize_lists_supersedes_id_prize_lists')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prize_lists'))
    )
    with op.batch_alter_table('prize_lists', schema=None) as batch_op:
        batch_op.create_index('ix_prize_lists_scope', ['contest_id', 'kind', 'round_id'], unique=False)

    op.create_table('prize_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('updated_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_prize_plans_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_prize_plans_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prize_plans')),
    sa.UniqueConstraint('contest_id', 'kind', 'round_id', name=op.f('uq_prize_plans_contest_id_kind_round_id'))
    )
    with op.batch_alter_table('prize_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prize_plans_contest_id'), ['contest_id'], unique=False)

    op.create_table('round_results',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('closed_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('closed_by', sa.String(length=120), nullable=False),
    sa.Column('prediction_target', sa.String(length=16), nullable=False),
    sa.Column('true_figure', sa.Integer(), nullable=False),
    sa.Column('entrants', sa.Integer(), nullable=False),
    sa.Column('eligible_entrants', sa.Integer(), nullable=False),
    sa.Column('scored_at_close', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_results_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', name=op.f('pk_round_results'))
    )
    op.create_table('key_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('question_version_id', sa.Integer(), nullable=False),
    sa.Column('correct_options', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('corrected_by', sa.String(length=120), nullable=False),
    sa.Column('corrected_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['question_version_id'], ['question_versions.id'], name=op.f('fk_key_corrections_question_version_id_question_versions')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_key_corrections_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_corrections'))
    )
    with op.batch_alter_table('key_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_key_corrections_question_version_id'), ['question_version_id'], unique=False)

    op.create_table('prize_list_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prize_list_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('attempt_id', sa.Integer(), nullable=True),
    sa.Column('tier_code', sa.String(length=32), nullable=False),
    sa.Column('tier_label_vi', sa.String(length=100), nullable=False),
    sa.Column('tier_label_en', sa.String(length=100), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('reason_vi', sa.Text(), nullable=False),
    sa.Column('reason_en', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_prize_list_entries_attempt_id_attempts')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_prize_list_entries_participant_id_participants')),
    sa.ForeignKeyConstraint(['prize_list_id'], ['prize_lists.id'], name=op.f('fk_prize_list_entries_prize_list_id_prize_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_prize_list_entries_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prize_list_entries'))
    )
    with op.batch_alter_table('prize_list_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prize_list_entries_prize_list_id'), ['prize_list_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('prize_list_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prize_list_entries_prize_list_id'))

    op.drop_table('prize_list_entries')
    with op.batch_alter_table('key_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_key_corrections_question_version_id'))

    op.drop_table('key_corrections')
    op.drop_table('round_results')
    with op.batch_alter_table('prize_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prize_plans_contest_id'))

    op.drop_table('prize_plans')
    with op.batch_alter_table('prize_lists', schema=None) as batch_op:
        batch_op.drop_index('ix_prize_lists_scope')

    op.drop_table('prize_lists')
    with op.batch_alter_table('eligibility_decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_eligibility_decisions_subject')
        batch_op.drop_index(batch_op.f('ix_eligibility_decisions_contest_id'))

    op.drop_table('eligibility_decisions')
