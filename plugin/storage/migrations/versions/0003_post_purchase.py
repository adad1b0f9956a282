"""Thank-you page offers: tsuide_pp_offers with their items and triggers, and tsuide_pp_responses.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tsuide_pp_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('label_en', sa.String(length=200), nullable=True),
    sa.Column('accept_label', sa.String(length=60), nullable=True),
    sa.Column('accept_label_en', sa.String(length=60), nullable=True),
    sa.Column('decline_label', sa.String(length=60), nullable=True),
    sa.Column('decline_label_en', sa.String(length=60), nullable=True),
    sa.Column('replaces_product_id', sa.String(length=64), nullable=True),
    sa.Column('pricing_mode', sa.String(length=16), nullable=False),
    sa.Column('pricing_value', sa.Integer(), nullable=False),
    sa.Column('min_order_total', sa.Integer(), nullable=True),
    sa.Column('max_order_total', sa.Integer(), nullable=True),
    sa.Column('segment', sa.String(length=16), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=True),
    sa.Column('ends_at', sa.DateTime(), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('global_cap', sa.Integer(), nullable=True),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['tsuide_pp_offers.id'], name=op.f('fk_tsuide_pp_offers_parent_id_tsuide_pp_offers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tsuide_pp_offers')),
    sa.UniqueConstraint('parent_id', name=op.f('uq_tsuide_pp_offers_parent_id'))
    )
    op.create_table('tsuide_pp_offer_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['tsuide_pp_offers.id'], name=op.f('fk_tsuide_pp_offer_items_offer_id_tsuide_pp_offers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tsuide_pp_offer_items')),
    sa.UniqueConstraint('offer_id', 'product_id', name=op.f('uq_tsuide_pp_offer_items_offer_id'))
    )
    with op.batch_alter_table('tsuide_pp_offer_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tsuide_pp_offer_items_offer_id'), ['offer_id'], unique=False)

    op.create_table('tsuide_pp_offer_triggers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=64), nullable=True),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['offer_id'], ['tsuide_pp_offers.id'], name=op.f('fk_tsuide_pp_offer_triggers_offer_id_tsuide_pp_offers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tsuide_pp_offer_triggers'))
    )
    with op.batch_alter_table('tsuide_pp_offer_triggers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tsuide_pp_offer_triggers_offer_id'), ['offer_id'], unique=False)

    op.create_table('tsuide_pp_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('idempotency_key', sa.String(length=100), nullable=True),
    sa.Column('accepted_order_id', sa.String(length=64), nullable=True),
    sa.Column('charge', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['tsuide_pp_offers.id'], name=op.f('fk_tsuide_pp_responses_offer_id_tsuide_pp_offers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tsuide_pp_responses')),
    sa.UniqueConstraint('accepted_order_id', name=op.f('uq_tsuide_pp_responses_accepted_order_id')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_tsuide_pp_responses_idempotency_key')),
    sa.UniqueConstraint('order_id', 'offer_id', name=op.f('uq_tsuide_pp_responses_order_id'))
    )
    with op.batch_alter_table('tsuide_pp_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tsuide_pp_responses_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tsuide_pp_responses_order_id'), ['order_id'], unique=False)



def downgrade():
    with op.batch_alter_table('tsuide_pp_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tsuide_pp_responses_order_id'))
        batch_op.drop_index(batch_op.f('ix_tsuide_pp_responses_customer_id'))

    op.drop_table('tsuide_pp_responses')
    with op.batch_alter_table('tsuide_pp_offer_triggers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tsuide_pp_offer_triggers_offer_id'))

    op.drop_table('tsuide_pp_offer_triggers')
    with op.batch_alter_table('tsuide_pp_offer_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tsuide_pp_offer_items_offer_id'))

    op.drop_table('tsuide_pp_offer_items')
    op.drop_table('tsuide_pp_offers')
