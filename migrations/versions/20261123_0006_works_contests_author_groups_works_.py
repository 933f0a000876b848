"""works contests: author groups, works, files, judges, scores

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 04:34:23.799000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import contest.models.base


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('judge_declarations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('judge_id', sa.Integer(), nullable=False),
    sa.Column('unit_ids', sa.JSON(), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('declared_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_judge_declarations_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['judge_id'], ['staff_users.id'], name=op.f('fk_judge_declarations_judge_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judge_declarations')),
    sa.UniqueConstraint('contest_id', 'judge_id', name=op.f('uq_judge_declarations_contest_id_judge_id'))
    )
    op.create_table('works_settings',
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('opens_at', contest.models.base.UTCDateTime(), nullable=True),
    sa.Column('deadline', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('allowed_types', sa.JSON(), nullable=False),
    sa.Column('max_bytes', sa.JSON(), nullable=False),
    sa.Column('max_files', sa.Integer(), nullable=False),
    sa.Column('trim', sa.Integer(), nullable=False),
    sa.Column('theme_vi', sa.Text(), nullable=False),
    sa.Column('excluded_citizen_ids', sa.JSON(), nullable=False),
    sa.Column('rubric', sa.JSON(), nullable=False),
    sa.Column('updated_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_works_settings_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_works_settings_round_id_rounds'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('contest_id', name=op.f('pk_works_settings'))
    )
    op.create_table('author_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('contact_participant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_participant_id'], ['participants.id'], name=op.f('fk_author_groups_contact_participant_id_participants')),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_author_groups_contest_id_contests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_author_groups'))
    )
    with op.batch_alter_table('author_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_author_groups_contest_id'), ['contest_id'], unique=False)

    op.create_table('author_group_members',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['author_groups.id'], name=op.f('fk_author_group_members_group_id_author_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_author_group_members_participant_id_participants')),
    sa.PrimaryKeyConstraint('group_id', 'participant_id', name=op.f('pk_author_group_members'))
    )
    with op.batch_alter_table('author_group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_author_group_members_participant_id'), ['participant_id'], unique=False)

    op.create_table('works',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('author_participant_id', sa.Integer(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('declaration', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('submitted_at', contest.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_participant_id'], ['participants.id'], name=op.f('fk_works_author_participant_id_participants')),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_works_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['author_groups.id'], name=op.f('fk_works_group_id_author_groups')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_works_round_id_rounds'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_works'))
    )
    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_works_author_participant_id'), ['author_participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_works_contest_id'), ['contest_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_works_group_id'), ['group_id'], unique=False)

    op.create_table('judge_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('judge_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('assigned_by', sa.String(length=120), nullable=False),
    sa.Column('conflict', sa.Boolean(), nullable=False),
    sa.Column('conflict_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['judge_id'], ['staff_users.id'], name=op.f('fk_judge_assignments_judge_id_staff_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_judge_assignments_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judge_assignments')),
    sa.UniqueConstraint('work_id', 'judge_id', name=op.f('uq_judge_assignments_work_id_judge_id'))
    )
    with op.batch_alter_table('judge_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_judge_assignments_judge_id'), ['judge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_judge_assignments_work_id'), ['work_id'], unique=False)

    op.create_table('work_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('stored_path', sa.String(length=500), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('sniffed_type', sa.String(length=16), nullable=False),
    sa.Column('uploaded_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_work_files_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_files'))
    )
    with op.batch_alter_table('work_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_files_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_files_work_id'), ['work_id'], unique=False)

    op.create_table('work_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('judge_id', sa.Integer(), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('total', sa.Float(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('updated_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('submitted_at', contest.models.base.UTCDateTime(), nullable=True),
    sa.Column('reopened_at', contest.models.base.UTCDateTime(), nullable=True),
    sa.Column('reopened_by', sa.String(length=120), nullable=True),
    sa.Column('reopen_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['judge_id'], ['staff_users.id'], name=op.f('fk_work_scores_judge_id_staff_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_work_scores_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_scores'))
    )
    with op.batch_alter_table('work_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_scores_judge_id'), ['judge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_scores_work_id'), ['work_id'], unique=False)

    with op.batch_alter_table('prize_list_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('work_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_prize_list_entries_work_id_works'), 'works', ['work_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('prize_list_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_prize_list_entries_work_id_works'), type_='foreignkey')
        batch_op.drop_column('work_id')

    with op.batch_alter_table('work_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_scores_work_id'))
        batch_op.drop_index(batch_op.f('ix_work_scores_judge_id'))

    op.drop_table('work_scores')
    with op.batch_alter_table('work_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_files_work_id'))
        batch_op.drop_index(batch_op.f('ix_work_files_sha256'))

    op.drop_table('work_files')
    with op.batch_alter_table('judge_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_judge_assignments_work_id'))
        batch_op.drop_index(batch_op.f('ix_judge_assignments_judge_id'))

    op.drop_table('judge_assignments')
    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_works_group_id'))
        batch_op.drop_index(batch_op.f('ix_works_contest_id'))
        batch_op.drop_index(batch_op.f('ix_works_author_participant_id'))

    op.drop_table('works')
    with op.batch_alter_table('author_group_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_author_group_members_participant_id'))

    op.drop_table('author_group_members')
    with op.batch_alter_table('author_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_author_groups_contest_id'))

    op.drop_table('author_groups')
    op.drop_table('works_settings')
    op.drop_table('judge_declarations')
