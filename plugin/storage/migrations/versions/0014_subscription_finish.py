"""Renewal add-ons' claims with a lease, and what each claim adds: so an add left pending by a dead worker is
retried once, with the very lines that were claimed, and the admin can see which rule each add came from.

Revision ID: 0014_subscription_finish
Revises: 0013_buy_get_limits
Create Date: 2026-11-30

``claimed_at`` starts the claim's lease (``TSUIDE_CLAIM_LEASE_SECONDS``, as a thank-you accept's);
``items`` keeps ``[[product, quantity, unit price]]`` as the shop's ``add_to_next_delivery`` was (or will be)
asked; ``rule_id`` names the rule or mined pair that suggested it.
"""
from alembic import op
import sqlalchemy as sa


revision = '0014_subscription_finish'
down_revision = "0013_buy_get_limits"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tsuide_renewal_answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('items', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('rule_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('tsuide_renewal_answers', schema=None) as batch_op:
        batch_op.drop_column('rule_id')
        batch_op.drop_column('items')
        batch_op.drop_column('claimed_at')
