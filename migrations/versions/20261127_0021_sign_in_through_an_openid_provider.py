"""sign-in through an OpenID provider

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-27 14:31:43.835015
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import contest.models.base


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('identity_providers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('name_vi', sa.String(length=80), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.Column('issuer', sa.String(length=300), nullable=False),
    sa.Column('client_id', sa.String(length=200), nullable=False),
    sa.Column('secret_name', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.String(length=300), nullable=False),
    sa.Column('claim_citizen_id', sa.String(length=100), nullable=False),
    sa.Column('claim_full_name', sa.String(length=100), nullable=False),
    sa.Column('claim_birthdate', sa.String(length=100), nullable=False),
    sa.Column('claim_phone', sa.String(length=100), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_identity_providers_contest_id_contests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_providers')),
    sa.UniqueConstraint('contest_id', name=op.f('uq_identity_providers_contest_id'))
    )
    op.create_table('oidc_sign_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('state_hash', sa.String(length=64), nullable=False),
    sa.Column('browser_hash', sa.String(length=64), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('code_verifier', sa.String(length=128), nullable=False),
    sa.Column('next_url', sa.String(length=300), nullable=False),
    sa.Column('created_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('used_at', contest.models.base.UTCDateTime(), nullable=True),
    sa.Column('identity', sa.JSON(), nullable=True),
    sa.Column('verified_at', contest.models.base.UTCDateTime(), nullable=True),
    sa.Column('completed_at', contest.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_oidc_sign_ins_contest_id_contests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_sign_ins')),
    sa.UniqueConstraint('state_hash', name=op.f('uq_oidc_sign_ins_state_hash'))
    )
    with op.batch_alter_table('oidc_sign_ins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_sign_ins_browser_hash'), ['browser_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_oidc_sign_ins_contest_id'), ['contest_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oidc_sign_ins_created_at'), ['created_at'], unique=False)

    op.create_table('participant_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=300), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('linked_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_participant_identities_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_participant_identities_participant_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participant_identities')),
    sa.UniqueConstraint('contest_id', 'issuer', 'subject', name=op.f('uq_participant_identities_contest_id_issuer_subject')),
    sa.UniqueConstraint('participant_id', name=op.f('uq_participant_identities_participant_id'))
    )


def downgrade() -> None:
    op.drop_table('participant_identities')
    with op.batch_alter_table('oidc_sign_ins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oidc_sign_ins_created_at'))
        batch_op.drop_index(batch_op.f('ix_oidc_sign_ins_contest_id'))
        batch_op.drop_index(batch_op.f('ix_oidc_sign_ins_browser_hash'))

    op.drop_table('oidc_sign_ins')
    op.drop_table('identity_providers')
