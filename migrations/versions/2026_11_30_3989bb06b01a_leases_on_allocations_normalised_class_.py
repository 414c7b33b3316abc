"""leases on allocations, normalised class names

Allocations get the lease columns a job process holds them by (``claimed_by``, ``lease_until``,
``heartbeat_at``); a run left "running" without a lease is failed by the next sweep of any job process.

Class names become unique per school and day ignoring case and spaces: ``name_key`` holds the
normalised name under a unique constraint (replacing the one on the exact name). Existing classes
whose names differ only in case or spaces (the race this closes could store "Dup" and "DUP") keep
the first one's name; later ones get " (2)", " (3)", … appended.

Revision ID: 3989bb06b01a
Revises: f8596a3a4ff1
Create Date: 2026-11-30 02:49:40.145648

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3989bb06b01a'
down_revision = 'f8596a3a4ff1'
branch_labels = None
depends_on = None

NAME_MAX_LENGTH = 60


def _key(name: str) -> str:
    """scheduler_app.models_base.normalise_name as of this revision (a migration must not change with the app)."""
    return " ".join(name.split()).casefold()


def _fill_name_keys() -> None:
    connection = op.get_bind()
    school_class = sa.table("school_class", sa.column("id", sa.Integer), sa.column("career_day_id", sa.Integer),
                            sa.column("school_id", sa.Integer), sa.column("name", sa.String),
                            sa.column("name_key", sa.String))
    rows = connection.execute(sa.select(school_class.c.id, school_class.c.career_day_id, school_class.c.school_id,
                                        school_class.c.name).order_by(school_class.c.id)).all()
    taken: set[tuple[int, int, str]] = set()
    for class_id, career_day_id, school_id, name in rows:
        new_name, number = name, 1
        while (career_day_id, school_id, _key(new_name)) in taken:
            number += 1
            suffix = f" ({number})"
            new_name = name[:NAME_MAX_LENGTH - len(suffix)] + suffix
        taken.add((career_day_id, school_id, _key(new_name)))
        connection.execute(sa.update(school_class).where(school_class.c.id == class_id)
                           .values(name=new_name, name_key=_key(new_name)))


def upgrade():
    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('school_class', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.String(length=180), nullable=True))
    _fill_name_keys()
    with op.batch_alter_table('school_class', schema=None) as batch_op:
        batch_op.alter_column('name_key', existing_type=sa.String(length=180), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_school_class_career_day_id_school_id_name'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_school_class_career_day_id_school_id_name_key'), ['career_day_id', 'school_id', 'name_key'])


def downgrade():
    with op.batch_alter_table('school_class', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_school_class_career_day_id_school_id_name_key'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_school_class_career_day_id_school_id_name'), ['career_day_id', 'school_id', 'name'])
        batch_op.drop_column('name_key')

    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('claimed_by')
