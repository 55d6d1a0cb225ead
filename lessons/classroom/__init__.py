"""Class mode: rooms a teacher drives and students follow, with prediction questions."""

from lessons.classroom.sidebar import class_mode

__all__ = ["class_mode"]
