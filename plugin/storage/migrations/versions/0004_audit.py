"""tsuide_audit: the admin's audit log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tsuide_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tsuide_audit'))
    )
    with op.batch_alter_table('tsuide_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tsuide_audit_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tsuide_audit_entity_id'), ['entity_id'], unique=False)



def downgrade():
    with op.batch_alter_table('tsuide_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tsuide_audit_entity_id'))
        batch_op.drop_index(batch_op.f('ix_tsuide_audit_at'))

    op.drop_table('tsuide_audit')
