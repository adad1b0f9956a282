"""Thank-you claims hold a lease: tsuide_pp_responses get claimed_at and the lines a claim amends.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tsuide_pp_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('lines', sa.JSON(), nullable=True))
    # A claim pending from before has held its lease since it was made.
    op.execute("UPDATE tsuide_pp_responses SET claimed_at = created_at WHERE status = 'pending'")


def downgrade():
    with op.batch_alter_table('tsuide_pp_responses', schema=None) as batch_op:
        batch_op.drop_column('lines')
        batch_op.drop_column('claimed_at')
