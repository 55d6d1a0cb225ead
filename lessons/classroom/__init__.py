"""Class mode: rooms a teacher drives and students follow, with prediction questions."""

from lessons.classroom.sidebar import class_mode, page_drawn, send_settings

__all__ = ["class_mode", "page_drawn", "send_settings"]
