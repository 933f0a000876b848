"""jobs: background work delivered by the job queue; certificate_jobs folded into it

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 11:40:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from contest.models.base import UTCDateTime

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    jobs = op.create_table(
        'jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('contest_id', sa.Integer(), nullable=True),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('max_attempts', sa.Integer(), nullable=False),
        sa.Column('claim_token', sa.String(length=32), nullable=True),
        sa.Column('worker', sa.String(length=120), nullable=False),
        sa.Column('lease_until', UTCDateTime(), nullable=True),
        sa.Column('message_vi', sa.Text(), nullable=False),
        sa.Column('message_en', sa.Text(), nullable=False),
        sa.Column('result_key', sa.String(length=200), nullable=True),
        sa.Column('result_name', sa.String(length=200), nullable=True),
        sa.Column('result_type', sa.String(length=100), nullable=True),
        sa.Column('result_size', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.String(length=120), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('enqueued_at', UTCDateTime(), nullable=True),
        sa.Column('started_at', UTCDateTime(), nullable=True),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_jobs_contest_id_contests'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_contest_id'), ['contest_id'], unique=False)
        batch_op.create_index('ix_jobs_status_lease', ['status', 'lease_until'], unique=False)

    # Old bulk issues become jobs of the queue; one left running by a restart is queued again
    # (issuing is idempotent by award), so no contest stays blocked by it.
    old = sa.table(
        'certificate_jobs',
        *(sa.column(name) for name in (
            'contest_id', 'round_id', 'kind', 'status', 'total', 'done', 'issued', 'skipped',
            'message_vi', 'message_en', 'created_by',
        )),
        sa.column('created_at', UTCDateTime()),
        sa.column('finished_at', UTCDateTime()),
    )
    rows = op.get_bind().execute(sa.select(old)).mappings().all()
    if rows:
        op.bulk_insert(jobs, [
            {
                'kind': 'certificates.issue',
                'contest_id': row['contest_id'],
                'params': {'round_id': row['round_id'], 'kind': row['kind'], 'actor': {'kind': 'system', 'label': 'upgrade'}},
                'status': 'queued' if row['status'] in ('queued', 'running') else row['status'],
                'total': row['total'] or 0,
                'done': row['done'] or 0,
                'counts': {'issued': row['issued'] or 0, 'skipped': row['skipped'] or 0},
                'attempts': 0,
                'max_attempts': 3,
                'worker': '',
                'message_vi': row['message_vi'] or '',
                'message_en': row['message_en'] or '',
                'created_by': row['created_by'],
                'created_at': row['created_at'],
                'finished_at': row['finished_at'],
            }
            for row in rows
        ])
    with op.batch_alter_table('certificate_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_jobs_contest_id'))
    op.drop_table('certificate_jobs')


def downgrade() -> None:
    op.create_table(
        'certificate_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contest_id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('issued', sa.Integer(), nullable=False),
        sa.Column('skipped', sa.Integer(), nullable=False),
        sa.Column('message_vi', sa.Text(), nullable=False),
        sa.Column('message_en', sa.Text(), nullable=False),
        sa.Column('created_by', sa.String(length=120), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_certificate_jobs_contest_id_contests'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_certificate_jobs_round_id_rounds')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_jobs')),
    )
    with op.batch_alter_table('certificate_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_jobs_contest_id'), ['contest_id'], unique=False)
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_status_lease')
        batch_op.drop_index(batch_op.f('ix_jobs_contest_id'))
    op.drop_table('jobs')
