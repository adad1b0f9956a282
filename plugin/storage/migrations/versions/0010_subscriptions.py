"""定期 (subscription) offers and renewal add-ons: a thank-you offer's plan and terms, and the answers to add-ons.

Revision ID: 0010_subscriptions
Revises: 0009_blocked_pairs
Create Date: 2026-12-01

A subscribe offer (``kind = 'subscribe'``) keeps its plan on ``tsuide_pp_offers``: the cycle, how the first
delivery is priced, the minimum number of deliveries, and the shop's wording of when payment happens and
how to cancel, in Japanese and English. ``tsuide_renewal_answers`` holds each shopper's answer to the add-ons
suggested for a subscription's next delivery: a decline, or an add's claim under a unique idempotency key.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_subscriptions'
down_revision = '0009_blocked_pairs'
branch_labels = None
depends_on = None

PLAN_COLUMNS = (
    ('cycle_every', sa.Integer()),
    ('cycle_unit', sa.String(length=8)),
    ('first_pricing_mode', sa.String(length=16)),
    ('first_pricing_value', sa.Integer()),
    ('min_deliveries', sa.Integer()),
    ('payment_terms', sa.Text()),
    ('payment_terms_en', sa.Text()),
    ('cancel_terms', sa.Text()),
    ('cancel_terms_en', sa.Text()),
)


def upgrade():
    with op.batch_alter_table('tsuide_pp_offers', schema=None) as batch_op:
        for name, type_ in PLAN_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    op.create_table(
        'tsuide_renewal_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.String(length=64), nullable=False),
        sa.Column('delivery_on', sa.Date(), nullable=False),
        sa.Column('product_ids', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('idempotency_key', sa.String(length=100), nullable=True),
        sa.Column('charge', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tsuide_renewal_answers')),
        sa.UniqueConstraint('idempotency_key', name=op.f('uq_tsuide_renewal_answers_idempotency_key')),
    )
    op.create_index(op.f('ix_tsuide_renewal_answers_subscription_id'), 'tsuide_renewal_answers',
                    ['subscription_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_tsuide_renewal_answers_subscription_id'), table_name='tsuide_renewal_answers')
    op.drop_table('tsuide_renewal_answers')
    with op.batch_alter_table('tsuide_pp_offers', schema=None) as batch_op:
        for name, _ in reversed(PLAN_COLUMNS):
            batch_op.drop_column(name)
