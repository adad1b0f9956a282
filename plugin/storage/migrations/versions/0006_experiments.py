"""tsuide_variants (A/B tests of offers); events get a variant and an amount.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tsuide_variants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('pp_offer_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=True),
    sa.Column('label_en', sa.String(length=200), nullable=True),
    sa.Column('button_label', sa.String(length=60), nullable=True),
    sa.Column('button_label_en', sa.String(length=60), nullable=True),
    sa.Column('pricing_value', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['pp_offer_id'], ['tsuide_pp_offers.id'], name=op.f('fk_tsuide_variants_pp_offer_id_tsuide_pp_offers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['tsuide_rules.id'], name=op.f('fk_tsuide_variants_rule_id_tsuide_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tsuide_variants')),
    sa.UniqueConstraint('pp_offer_id', 'name', name=op.f('uq_tsuide_variants_pp_offer_id')),
    sa.UniqueConstraint('rule_id', 'name', name=op.f('uq_tsuide_variants_rule_id'))
    )
    with op.batch_alter_table('tsuide_variants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tsuide_variants_pp_offer_id'), ['pp_offer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tsuide_variants_rule_id'), ['rule_id'], unique=False)

    with op.batch_alter_table('tsuide_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variant', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('amount', sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f('ix_tsuide_events_order_id'), ['order_id'], unique=False)


def downgrade():
    with op.batch_alter_table('tsuide_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tsuide_events_order_id'))
        batch_op.drop_column('amount')
        batch_op.drop_column('variant')

    with op.batch_alter_table('tsuide_variants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tsuide_variants_rule_id'))
        batch_op.drop_index(batch_op.f('ix_tsuide_variants_pp_offer_id'))

    op.drop_table('tsuide_variants')
