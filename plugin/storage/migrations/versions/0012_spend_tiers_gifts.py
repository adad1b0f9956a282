"""Spend discounts and free gifts: a step may take an amount off, and a rule may name a gift product.

Revision ID: 0012_spend_tiers_gifts
Revises: 0011_shipping_steps
Create Date: 2026-11-30

A spend discount (``kind`` ``spend``) keeps its steps in ``tsuide_rule_steps``: ``threshold`` and either
``percent_bp`` or the new ``amount_off``. A free gift (``kind`` ``gift``) names its product in the new
``tsuide_rules.gift_product_id``; its spend threshold is ``threshold`` and the products that earn it are its
``tsuide_rule_items``.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_spend_tiers_gifts'
down_revision = '0011_shipping_steps'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tsuide_rule_steps') as batch_op:
        batch_op.add_column(sa.Column('amount_off', sa.Integer(), nullable=True))
    with op.batch_alter_table('tsuide_rules') as batch_op:
        batch_op.add_column(sa.Column('gift_product_id', sa.String(64), nullable=True))


def downgrade():
    with op.batch_alter_table('tsuide_rules') as batch_op:
        batch_op.drop_column('gift_product_id')
    with op.batch_alter_table('tsuide_rule_steps') as batch_op:
        batch_op.drop_column('amount_off')
