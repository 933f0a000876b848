"""results export tokens for the staff API, scoped to contests

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-27 15:10:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import contest.models.base


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('created_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('expires_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', contest.models.base.UTCDateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=120), nullable=True),
    sa.Column('revoked_reason', sa.Text(), nullable=True),
    sa.Column('last_used_at', contest.models.base.UTCDateTime(), nullable=True),
    sa.Column('last_used_ip', sa.String(length=64), nullable=True),
    sa.Column('use_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('api_token_contests',
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_api_token_contests_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_api_token_contests_token_id_api_tokens'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_id', 'contest_id', name=op.f('pk_api_token_contests'))
    )
    with op.batch_alter_table('api_token_contests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_contests_contest_id'), ['contest_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('api_token_contests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_contests_contest_id'))
    op.drop_table('api_token_contests')
    op.drop_table('api_tokens')
