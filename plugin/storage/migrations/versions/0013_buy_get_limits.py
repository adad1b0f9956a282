"""Per-unit limits on every rule, and buy-X-get-Y rules.

Revision ID: 0013_buy_get_limits
Revises: 0012_spend_tiers_gifts
Create Date: 2026-11-30

``max_units`` ("お一人様3点まで") caps the units a rule discounts per order. A buy-X-get-Y rule
(``kind`` ``buy_get``) keeps its buy set in ``tsuide_rule_items`` and ``tsuide_rule_categories`` as a volume
discount keeps its collection, its quantities and maximum applications in their own columns, its get set
(empty: the buy set) as JSON lists of ids, and its discount in ``pricing_mode`` / ``pricing_value``.
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_buy_get_limits'
down_revision = '0012_spend_tiers_gifts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tsuide_rules') as batch_op:
        batch_op.add_column(sa.Column('max_units', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('buy_quantity', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('get_quantity', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('max_applications', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('get_product_ids', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('get_categories', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('tsuide_rules') as batch_op:
        for name in ('get_categories', 'get_product_ids', 'max_applications', 'get_quantity', 'buy_quantity',
                     'max_units'):
            batch_op.drop_column(name)
