"""sign-in throttling: trusted devices (OWASP device cookies) and failures marked trusted or not

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 12:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import contest.models.base


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('trusted_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_key', sa.String(length=120), nullable=False),
    sa.Column('device_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trusted_devices')),
    sa.UniqueConstraint('account_key', 'device_hash', name=op.f('uq_trusted_devices_account_key_device_hash'))
    )
    with op.batch_alter_table('trusted_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trusted_devices_last_used_at'), ['last_used_at'], unique=False)
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trusted', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('device_hash', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_column('device_hash')
        batch_op.drop_column('trusted')
    with op.batch_alter_table('trusted_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trusted_devices_last_used_at'))
    op.drop_table('trusted_devices')
