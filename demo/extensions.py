"""The shop's extension objects, created once and bound to an app in :func:`demo.create_app`."""
from __future__ import annotations

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from plugin import Tsuide


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
tsuide = Tsuide()
