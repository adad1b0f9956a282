"""The initial tsuide_* tables: rules, their items, categories and steps, redemptions, settings, state.

Revision ID: 0001
Revises: 
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tsuide_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('label_en', sa.String(length=200), nullable=True),
    sa.Column('starts_at', sa.DateTime(), nullable=True),
    sa.Column('ends_at', sa.DateTime(), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('stackable', sa.Boolean(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('per_customer_cap', sa.Integer(), nullable=True),
    sa.Column('global_cap', sa.Integer(), nullable=True),
    sa.Column('redeemed', sa.Integer(), nullable=False),
    sa.Column('margin_floor_bp', sa.Integer(), nullable=True),
    sa.Column('pricing_mode', sa.String(length=16), nullable=True),
    sa.Column('pricing_value', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('threshold', sa.Integer(), nullable=True),
    sa.Column('fee', sa.Integer(), nullable=True),
    sa.Column('count_before_discounts', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tsuide_rules'))
    )
    with op.batch_alter_table('tsuide_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tsuide_rules_kind'), ['kind'], unique=False)

    op.create_table('tsuide_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_tsuide_settings'))
    )
    state = op.create_table('tsuide_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tsuide_state'))
    )
    # The one row every worker reads to know whether its rule cache is current.
    op.bulk_insert(state, [{'id': 1, 'version': 1}])
    op.create_table('tsuide_redemptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=True),
    sa.Column('applications', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['rule_id'], ['tsuide_rules.id'], name=op.f('fk_tsuide_redemptions_rule_id_tsuide_rules')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tsuide_redemptions')),
    sa.UniqueConstraint('rule_id', 'order_id', name=op.f('uq_tsuide_redemptions_rule_id'))
    )
    with op.batch_alter_table('tsuide_redemptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tsuide_redemptions_customer_id'), ['customer_id'], unique=False)

    op.create_table('tsuide_rule_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['rule_id'], ['tsuide_rules.id'], name=op.f('fk_tsuide_rule_categories_rule_id_tsuide_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tsuide_rule_categories')),
    sa.UniqueConstraint('rule_id', 'category', name=op.f('uq_tsuide_rule_categories_rule_id'))
    )
    with op.batch_alter_table('tsuide_rule_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tsuide_rule_categories_rule_id'), ['rule_id'], unique=False)

    op.create_table('tsuide_rule_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['rule_id'], ['tsuide_rules.id'], name=op.f('fk_tsuide_rule_items_rule_id_tsuide_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tsuide_rule_items')),
    sa.UniqueConstraint('rule_id', 'product_id', name=op.f('uq_tsuide_rule_items_rule_id'))
    )
    with op.batch_alter_table('tsuide_rule_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tsuide_rule_items_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tsuide_rule_items_rule_id'), ['rule_id'], unique=False)

    op.create_table('tsuide_rule_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('percent_bp', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['rule_id'], ['tsuide_rules.id'], name=op.f('fk_tsuide_rule_steps_rule_id_tsuide_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tsuide_rule_steps')),
    sa.UniqueConstraint('rule_id', 'threshold', name=op.f('uq_tsuide_rule_steps_rule_id'))
    )
    with op.batch_alter_table('tsuide_rule_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tsuide_rule_steps_rule_id'), ['rule_id'], unique=False)



def downgrade():
    with op.batch_alter_table('tsuide_rule_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tsuide_rule_steps_rule_id'))

    op.drop_table('tsuide_rule_steps')
    with op.batch_alter_table('tsuide_rule_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tsuide_rule_items_rule_id'))
        batch_op.drop_index(batch_op.f('ix_tsuide_rule_items_product_id'))

    op.drop_table('tsuide_rule_items')
    with op.batch_alter_table('tsuide_rule_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tsuide_rule_categories_rule_id'))

    op.drop_table('tsuide_rule_categories')
    with op.batch_alter_table('tsuide_redemptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tsuide_redemptions_customer_id'))

    op.drop_table('tsuide_redemptions')
    op.drop_table('tsuide_state')
    op.drop_table('tsuide_settings')
    with op.batch_alter_table('tsuide_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tsuide_rules_kind'))

    op.drop_table('tsuide_rules')
