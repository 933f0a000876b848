"""certificates: templates, images, numbering counters, certificates, bulk-issue jobs

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-23 04:17:28.487493
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import contest.models.base


revision = '0004'
# A sibling of the results migration (0003): neither needs the other's tables.
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('certificate_images',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_certificate_images'))
    )
    op.create_table('certificate_counters',
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_certificate_counters_contest_id_contests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contest_id', name=op.f('pk_certificate_counters'))
    )
    op.create_table('certificate_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('issuer_lines', sa.Text(), nullable=False),
    sa.Column('place', sa.String(length=100), nullable=False),
    sa.Column('lead_in', sa.String(length=60), nullable=False),
    sa.Column('signer_title', sa.String(length=200), nullable=False),
    sa.Column('signer_name', sa.String(length=120), nullable=False),
    sa.Column('number_suffix', sa.String(length=40), nullable=False),
    sa.Column('show_number', sa.Boolean(), nullable=False),
    sa.Column('show_unit', sa.Boolean(), nullable=False),
    sa.Column('show_qr', sa.Boolean(), nullable=False),
    sa.Column('show_border', sa.Boolean(), nullable=False),
    sa.Column('font_family', sa.String(length=16), nullable=False),
    sa.Column('accent_colour', sa.String(length=7), nullable=False),
    sa.Column('seal_sha256', sa.String(length=64), nullable=True),
    sa.Column('background_sha256', sa.String(length=64), nullable=True),
    sa.Column('updated_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['background_sha256'], ['certificate_images.sha256'], name=op.f('fk_certificate_templates_background_sha256_certificate_images')),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_certificate_templates_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seal_sha256'], ['certificate_images.sha256'], name=op.f('fk_certificate_templates_seal_sha256_certificate_images')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_templates')),
    sa.UniqueConstraint('contest_id', name=op.f('uq_certificate_templates_contest_id'))
    )
    op.create_table('certificate_jobs',
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
    sa.Column('created_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('finished_at', contest.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_certificate_jobs_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_certificate_jobs_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_jobs'))
    )
    with op.batch_alter_table('certificate_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_jobs_contest_id'), ['contest_id'], unique=False)

    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('award_key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('recipient_kind', sa.String(length=16), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('tier_code', sa.String(length=32), nullable=False),
    sa.Column('tier_label_vi', sa.String(length=120), nullable=False),
    sa.Column('prize_list_version', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('place', sa.String(length=100), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('recipient_name', sa.String(length=300), nullable=False),
    sa.Column('recipient_unit', sa.String(length=300), nullable=False),
    sa.Column('achievement', sa.Text(), nullable=False),
    sa.Column('verification_url', sa.String(length=300), nullable=False),
    sa.Column('verify_hint_url', sa.String(length=300), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('issuer_lines', sa.JSON(), nullable=False),
    sa.Column('signer_title', sa.String(length=200), nullable=False),
    sa.Column('signer_name', sa.String(length=120), nullable=False),
    sa.Column('layout', sa.JSON(), nullable=False),
    sa.Column('seal_sha256', sa.String(length=64), nullable=True),
    sa.Column('background_sha256', sa.String(length=64), nullable=True),
    sa.Column('issued_at', contest.models.base.UTCDateTime(), nullable=False),
    sa.Column('issued_by', sa.String(length=120), nullable=False),
    sa.Column('revoked_at', contest.models.base.UTCDateTime(), nullable=True),
    sa.Column('revoked_reason', sa.Text(), nullable=True),
    sa.Column('revoked_by', sa.String(length=120), nullable=True),
    sa.Column('replaced_at', contest.models.base.UTCDateTime(), nullable=True),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.Column('replaced_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['background_sha256'], ['certificate_images.sha256'], name=op.f('fk_certificates_background_sha256_certificate_images')),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_certificates_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_certificates_participant_id_participants')),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['certificates.id'], name=op.f('fk_certificates_replaced_by_id_certificates')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_certificates_round_id_rounds')),
    sa.ForeignKeyConstraint(['seal_sha256'], ['certificate_images.sha256'], name=op.f('fk_certificates_seal_sha256_certificate_images')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_certificates_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('code', name=op.f('uq_certificates_code'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index('ix_certificates_contest_serial', ['contest_id', 'serial'], unique=True)
        batch_op.create_index(batch_op.f('ix_certificates_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index('uq_certificates_live_award_key', ['contest_id', 'award_key'], unique=True, sqlite_where=sa.text('replaced_at IS NULL'), postgresql_where=sa.text('replaced_at IS NULL'))



def downgrade() -> None:
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('uq_certificates_live_award_key', sqlite_where=sa.text('replaced_at IS NULL'), postgresql_where=sa.text('replaced_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_certificates_participant_id'))
        batch_op.drop_index('ix_certificates_contest_serial')

    op.drop_table('certificates')
    with op.batch_alter_table('certificate_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_jobs_contest_id'))

    op.drop_table('certificate_jobs')
    op.drop_table('certificate_templates')
    op.drop_table('certificate_counters')
    op.drop_table('certificate_images')
