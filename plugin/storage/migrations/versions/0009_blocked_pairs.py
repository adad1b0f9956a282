"""Mined pairs an admin blocks: never offered together, whatever later runs find.

Revision ID: 0009_blocked_pairs
Revises: 0008
Create Date: 2026-11-30

The id names the change, not only a number: another branch may add its own 0009, and two revisions that
both revise 0008 are then merged with ``alembic merge`` rather than colliding on one id.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_blocked_pairs'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'tsuide_blocked_pairs',
        sa.Column('product_a', sa.String(length=64), nullable=False),
        sa.Column('product_b', sa.String(length=64), nullable=False),
        sa.Column('blocked_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('product_a', 'product_b', name=op.f('pk_tsuide_blocked_pairs')),
    )


def downgrade():
    op.drop_table('tsuide_blocked_pairs')
