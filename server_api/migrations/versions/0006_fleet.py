"""The terminal fleet: reported health, staff commands, central configuration.

Adds ``terminal_health`` (the latest heartbeat of each terminal), ``terminal_commands``
(queued by staff, delivered in heartbeat answers, answered by the terminal),
``config_settings`` (keys set per centre or per terminal) and ``config_counter`` (one
row, the last configuration version handed out, starting at 0). Only new tables: the
downgrade drops them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('terminal_health',
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('app_version', sa.String(length=50), nullable=False),
    sa.Column('content_version', sa.String(length=100), nullable=False),
    sa.Column('config_version', sa.Integer(), nullable=False),
    sa.Column('devices_json', sa.Text(), nullable=False),
    sa.Column('free_disk_bytes', sa.BigInteger(), nullable=False),
    sa.Column('outbox_depth', sa.Integer(), nullable=False),
    sa.Column('last_sync_at', sa.DateTime(), nullable=True),
    sa.Column('terminal_time', sa.DateTime(), nullable=False),
    sa.Column('clock_offset_s', sa.Float(), nullable=False),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('in_use', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_terminal_health_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('terminal_id', name=op.f('pk_terminal_health'))
    )
    op.create_table('terminal_commands',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('attachment_path', sa.String(length=500), nullable=True),
    sa.Column('attachment_type', sa.String(length=30), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['staff_users.id'], name=op.f('fk_terminal_commands_created_by_staff_users')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_terminal_commands_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_terminal_commands'))
    )
    op.create_index('ix_terminal_commands_terminal_status', 'terminal_commands',
                    ['terminal_id', 'status'], unique=False)
    op.create_table('config_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=True),
    sa.Column('terminal_id', sa.Integer(), nullable=True),
    sa.Column('values_json', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_config_settings_centre_id_centres')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_config_settings_terminal_id_terminals')),
    sa.ForeignKeyConstraint(['updated_by'], ['staff_users.id'], name=op.f('fk_config_settings_updated_by_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_config_settings')),
    sa.UniqueConstraint('centre_id', name=op.f('uq_config_settings_centre_id')),
    sa.UniqueConstraint('terminal_id', name=op.f('uq_config_settings_terminal_id'))
    )
    counter = op.create_table('config_counter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_config_counter'))
    )
    op.bulk_insert(counter, [{"id": 1, "value": 0}])


def downgrade() -> None:
    op.drop_table('config_counter')
    op.drop_table('config_settings')
    op.drop_index('ix_terminal_commands_terminal_status', table_name='terminal_commands')
    op.drop_table('terminal_commands')
    op.drop_table('terminal_health')
