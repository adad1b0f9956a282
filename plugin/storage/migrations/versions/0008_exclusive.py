"""Rules can be exclusive: nothing stacks on the units they use.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tsuide_rules') as batch_op:
        batch_op.add_column(sa.Column('exclusive', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('tsuide_rules') as batch_op:
        batch_op.drop_column('exclusive')
