"""tsuide_events: impression, click and dismiss beacons from shoppers; English names for reward steps.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tsuide_rule_steps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label_en', sa.String(length=200), nullable=True))
    op.create_table('tsuide_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('rule_id', sa.String(length=64), nullable=True),
    sa.Column('visitor_id', sa.String(length=64), nullable=True),
    sa.Column('order_id', sa.String(length=64), nullable=True),
    sa.Column('page', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tsuide_events'))
    )
    with op.batch_alter_table('tsuide_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tsuide_events_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tsuide_events_rule_id'), ['rule_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tsuide_events_visitor_id'), ['visitor_id'], unique=False)


def downgrade():
    with op.batch_alter_table('tsuide_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tsuide_events_visitor_id'))
        batch_op.drop_index(batch_op.f('ix_tsuide_events_rule_id'))
        batch_op.drop_index(batch_op.f('ix_tsuide_events_created_at'))

    op.drop_table('tsuide_events')
    with op.batch_alter_table('tsuide_rule_steps', schema=None) as batch_op:
        batch_op.drop_column('label_en')
