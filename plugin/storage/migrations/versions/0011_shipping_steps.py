"""Reduced shipping fees on the way to free shipping: a step of a shipping threshold may carry a fee.

Revision ID: 0011_shipping_steps
Revises: 0010_subscriptions
Create Date: 2026-11-30

``tsuide_rule_steps`` already holds a shipping threshold's rewards (an amount and a label). A row with a
``fee`` is a reduced fee from its amount, below free shipping ("¥3,000以上で送料¥300").
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_shipping_steps'
down_revision = '0010_subscriptions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tsuide_rule_steps') as batch_op:
        batch_op.add_column(sa.Column('fee', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('tsuide_rule_steps') as batch_op:
        batch_op.drop_column('fee')
