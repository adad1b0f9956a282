"""tsuide_mining_runs and tsuide_mined_pairs: what is bought together.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tsuide_mining_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('since', sa.DateTime(), nullable=True),
    sa.Column('min_support', sa.Integer(), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('pairs', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tsuide_mining_runs'))
    )
    op.create_table('tsuide_mined_pairs',
    sa.Column('product_a', sa.String(length=64), nullable=False),
    sa.Column('product_b', sa.String(length=64), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('orders_together', sa.Integer(), nullable=False),
    sa.Column('support', sa.Float(), nullable=False),
    sa.Column('confidence_ab', sa.Float(), nullable=False),
    sa.Column('confidence_ba', sa.Float(), nullable=False),
    sa.Column('lift', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['tsuide_mining_runs.id'], name=op.f('fk_tsuide_mined_pairs_run_id_tsuide_mining_runs')),
    sa.PrimaryKeyConstraint('product_a', 'product_b', name=op.f('pk_tsuide_mined_pairs'))
    )
    with op.batch_alter_table('tsuide_mined_pairs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tsuide_mined_pairs_product_b'), ['product_b'], unique=False)



def downgrade():
    with op.batch_alter_table('tsuide_mined_pairs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tsuide_mined_pairs_product_b'))

    op.drop_table('tsuide_mined_pairs')
    op.drop_table('tsuide_mining_runs')
