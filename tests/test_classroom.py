"""Class mode through Streamlit's AppTest: one teacher session and two student sessions in one process
share a room (the in-process backend). Each ``run()`` of a session stands for one poll of its page."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block
from test_pages import open_page

from lessons import questions, registry
from lessons.classroom import backend, sidebar

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def fresh_rooms(monkeypatch):
    """Every test with its own in-process rooms."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    backend._store_for.cache_clear()
    yield
    backend._store_for.cache_clear()


def app(**query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for name, value in query.items():
        at.query_params[name] = value
    return checked(at.run())


def checked(at: AppTest) -> AppTest:
    assert not at.exception, [exception.message for exception in at.exception]
    return at


def start_class(page: str = "langevin") -> tuple[AppTest, str]:
    """A teacher on ``page`` (200 particles) with a class started."""
    teacher = app()
    checked(teacher.button(key="_class_start").click().run())
    teacher.query_params["particles"] = "200"
    checked(teacher.switch_page(f"lessons/{page}.py").run())
    return poll(teacher), teacher.session_state["_class_code"]


def poll(at: AppTest) -> AppTest:
    return checked(at.run())


def join_by_code(code: str) -> AppTest:
    student = app()
    student.text_input(key="_class_typed").input(code.lower())
    submit = next(button for button in student.button if button.label == "Join the class")
    return poll(checked(submit.click().run()))


def shown(at: AppTest, name: str) -> object:
    return at.session_state[name]


def button_labelled(at: AppTest, label: str):
    return next(button for button in at.button if button.label == label)


def test_students_joining_by_code_or_link_show_the_teachers_page_and_settings():
    teacher, code = start_class()
    typed, linked = join_by_code(code), app(**{"class": code})
    for student in (typed, linked):
        poll(student)
        assert shown(student, "_class_page") == "langevin"
        assert shown(student, "particles") == 200
    checked(teacher.select_slider(key="step_size").set_value(1.0).run())
    poll(teacher)
    for student in (typed, linked):
        poll(student)
        assert shown(student, "step_size") == 1.0


def test_a_teachers_move_reaches_the_room_from_the_run_that_draws_it_not_the_next_poll():
    teacher, code = start_class()
    checked(teacher.select_slider(key="step_size").set_value(1.0).run())
    view = backend.room_store().view(code, time.time())
    assert dict(view.broadcast.query)["step_size"] == "1"
    student = poll(app(**{"class": code}))
    assert shown(student, "step_size") == 1.0


def test_a_student_follows_the_teacher_to_another_page():
    teacher, code = start_class("langevin")
    student = poll(app(**{"class": code}))
    checked(teacher.switch_page("lessons/backward.py").run())
    poll(teacher)
    poll(student)
    assert shown(student, "_class_page") == "backward"
    assert shown(student, "particles") == 200


def test_an_exploring_student_keeps_their_settings_and_follows_again_in_one_click():
    teacher, code = start_class()
    explorer, follower = app(**{"class": code}), app(**{"class": code})
    poll(explorer)
    checked(explorer.button(key="_class_explore").click().run())
    checked(explorer.select_slider(key="step_size").set_value(0.2).run())
    checked(teacher.select_slider(key="step_size").set_value(1.0).run())
    poll(teacher)
    poll(explorer), poll(follower)
    assert shown(explorer, "step_size") == 0.2
    assert shown(follower, "step_size") == 1.0
    checked(explorer.button(key="_class_follow_again").click().run())
    poll(explorer)
    assert shown(explorer, "step_size") == 1.0


def test_a_student_session_holds_no_teacher_key_and_has_no_reveal_or_ask_button():
    teacher, code = start_class()
    checked(teacher.button(key="_class_ask_langevin-wide-h").click().run())
    poll(teacher)
    student = poll(app(**{"class": code}))
    assert "_class_key" not in student.session_state
    keys = {button.key for button in student.button}
    assert "_class_reveal" not in keys and not any(key.startswith("_class_ask") for key in keys if key)


def test_a_wrong_teacher_key_in_the_link_only_joins_as_a_student():
    _, code = start_class()
    student = app(**{"class": code, "key": "guessed"})
    assert "_class_key" not in student.session_state
    assert shown(student, "_class_code") == code


def test_an_unknown_code_says_so_in_plain_words():
    student = app(**{"class": "ZZZZZZ"})
    assert "_class_code" not in student.session_state
    assert any("no open class ZZZZZZ" in info.value for info in student.info)


def test_the_tally_counts_each_student_once_and_reveal_applies_the_setting_for_everyone():
    question = questions.BY_ID["langevin-wide-h"]
    teacher, code = start_class()
    first, second = app(**{"class": code}), app(**{"class": code})
    checked(teacher.button(key=f"_class_ask_{question.id}").click().run())
    poll(teacher)
    for student in (first, second):
        poll(student)
        assert any(question.text in markdown.value for markdown in student.markdown)
    checked(button_labelled(poll(first), "Narrower").click().run())
    checked(button_labelled(first, "Wider").click().run())  # changed their mind: still one answer
    checked(button_labelled(poll(second), "Wider").click().run())
    poll(teacher)
    assert "2 answered" in tally_text(teacher)
    checked(teacher.button(key="_class_reveal").click().run())
    poll(teacher)
    assert shown(teacher, "step_size") == 1.0
    for student in (first, second):
        poll(student)
        assert shown(student, "step_size") == 1.0
        assert any(success.value.startswith("**Wider.** You got it.") for success in student.success)


def test_reveal_brings_an_exploring_student_back_to_the_teacher():
    teacher, code = start_class()
    explorer = poll(app(**{"class": code}))
    checked(explorer.button(key="_class_explore").click().run())
    checked(teacher.button(key="_class_ask_langevin-wide-h").click().run())
    poll(teacher)
    checked(teacher.button(key="_class_reveal").click().run())
    poll(teacher)
    poll(poll(explorer))
    assert shown(explorer, "_class_follow") is True
    assert shown(explorer, "step_size") == 1.0


def tally_text(at: AppTest) -> str:
    return " ".join(element.proto.body for element in at.get("html"))


def test_a_lesson_writing_its_settings_keeps_the_class_code_and_key_in_the_address():
    at = open_page("langevin", **{"class": "ABCDEF", "key": "secret"})
    assert at.query_params["class"] == "ABCDEF" and at.query_params["key"] == "secret"
    assert at.query_params["step_size"] == str(registry.page("langevin").defaults.step_size)


def lesson_view_path(at: AppTest) -> tuple[int, ...] | None:
    """Where the lesson view's container sits in the page (its delta path below the main area)."""

    def search(node, path: tuple[int, ...]) -> tuple[int, ...] | None:
        for index, child in node.children.items():
            if isinstance(child, Block):
                if "lesson_view" in (getattr(child.proto, "id", "") or ""):
                    return (*path, index)
                found = search(child, (*path, index))
                if found:
                    return found
        return None

    return search(at.main, ())


def test_the_lesson_view_keeps_its_place_for_visitors_teachers_and_students():
    # a run cut short leaves the elements it did not redraw; if class mode moved the view, a stale
    # copy of it stayed on the page beside the new one (two step-size sliders in the browser)
    teacher, code = start_class()
    student = poll(app(**{"class": code}))
    visitor = open_page("langevin", particles="200")
    places = {"teacher": lesson_view_path(teacher), "student": lesson_view_path(student)}
    places["visitor"] = lesson_view_path(visitor)
    checked(button_labelled(student, "Explore on my own").click().run())
    places["exploring student"] = lesson_view_path(student)
    assert places["visitor"] is not None
    assert set(places.values()) == {places["visitor"]}, places


def test_a_students_address_lacking_what_their_page_wrote_past_the_grace_means_the_run_was_lost():
    written = {"step_size": "0.1", "particles": "200"}
    stale = {"step_size": "0.05", "particles": "200", "class": "K7P3QX"}
    late = sidebar.ADDRESS_GRACE_S + 0.5
    assert sidebar.address_lost(written, stale, late)
    assert not sidebar.address_lost(written, stale, sidebar.ADDRESS_GRACE_S - 0.5)  # polls sent mid-run
    assert not sidebar.address_lost(written, {**stale, "step_size": "0.1"}, late)


def test_only_a_students_page_records_when_it_last_drew():
    teacher, code = start_class()
    student = poll(app(**{"class": code}))
    before = time.time()
    poll(student)
    assert before <= student.session_state[sidebar.DRAWN_AT] <= time.time()
    assert sidebar.DRAWN_AT not in teacher.session_state
