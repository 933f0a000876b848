"""stored_files: uploads and built files in the database, so every host reads them

Works uploads under var/uploads (one host's disk) are copied in; work_files.stored_path then
holds the file's key in the store.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 12:20:00.000000
"""
from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from contest.models.base import UTCDateTime

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

CHUNK = 1024 * 1024


def upgrade() -> None:
    files = op.create_table(
        'stored_files',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('chunks', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_stored_files')),
    )
    with op.batch_alter_table('stored_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_files_created_at'), ['created_at'], unique=False)
    chunks = op.create_table(
        'stored_file_chunks',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['key'], ['stored_files.key'], name=op.f('fk_stored_file_chunks_key_stored_files'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('key', 'n', name=op.f('pk_stored_file_chunks')),
    )

    # Copy the works files of this host's upload folder into the store.
    from contest.config import PROJECT_DIR

    root = Path(os.environ.get('CONTEST_UPLOAD_DIR') or PROJECT_DIR / 'var' / 'uploads')
    work_files = sa.table('work_files', sa.column('id'), sa.column('stored_path'))
    bind = op.get_bind()
    now = datetime.now(UTC)
    for file_id, stored_path in bind.execute(sa.select(work_files.c.id, work_files.c.stored_path)).all():
        if stored_path.startswith('works/'):
            continue
        key = f'works/{stored_path}'
        path = root / stored_path
        if path.is_file():
            size = n = 0
            op.bulk_insert(files, [{'key': key, 'size': 0, 'chunks': 0, 'content_type': '', 'created_at': now}])
            with open(path, 'rb') as fh:
                while data := fh.read(CHUNK):
                    op.bulk_insert(chunks, [{'key': key, 'n': n, 'data': data}])
                    n += 1
                    size += len(data)
            bind.execute(
                sa.table('stored_files', sa.column('key'), sa.column('size'), sa.column('chunks'))
                .update().where(sa.column('key') == key).values(size=size, chunks=n)
            )
        # A file missing from this host stays missing, under its new name.
        bind.execute(work_files.update().where(work_files.c.id == file_id).values(stored_path=key))


def downgrade() -> None:
    op.drop_table('stored_file_chunks')
    with op.batch_alter_table('stored_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_files_created_at'))
    op.drop_table('stored_files')
