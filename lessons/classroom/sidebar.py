"""Class mode on screen: the sidebar's "Class" box (start a class, or join one with its code), the
teacher's bar above the page (room code, live tally, Reveal) that sends the teacher's screen to the
room, and the student's bar (follow or explore, the open question) that brings it back.

A following student's page, settings and time-slider frame are the teacher's: the student's bar polls
the room every POLL_SECONDS; when the teacher's page or settings differ from what the student shows,
it reruns the app, and ``class_mode`` applies them before the page draws its controls.
"""

from __future__ import annotations

import html
import time
from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

from lessons import questions, registry
from lessons.classroom import frames, rooms
from lessons.classroom.backend import room_store
from lessons.classroom.qr import qr_png
from lessons.classroom.rooms import Broadcast, RoomView
from lessons.questions import Question
from lessons.settings import parse_query

POLL_SECONDS = 0.5
# How long after a page run a student's address may still lack what it wrote: polls sent while it ran
# carry the address from before it. Past this, the run's messages were lost (see ``address_lost``).
ADDRESS_GRACE_S = 3.0
CODE, KEY, MEMBER, FOLLOW = "_class_code", "_class_key", "_class_member", "_class_follow"
PAGE, QUESTION, REVEALED, APPLIED = "_class_page", "_class_question", "_class_revealed", "_class_applied"
NOTE, SEEN_REVEAL, FULL_RUN = "_class_note", "_class_seen_reveal", "_class_full_run"
DRAWN_AT = "_class_drawn_at"
LOCKED_CONTROLS_CSS = """<style>
.st-key-lesson_view [data-testid="stColumn"]:first-child { pointer-events: none; opacity: 0.55; }
</style>"""


def class_mode(page_name: str) -> None:
    """Class mode for the page ``page_name`` about to run: call it after ``st.navigation``, before the
    page runs. A following student may be sent to the teacher's page from here."""
    st.session_state[PAGE] = page_name
    _arrive_from_link()
    # One container, drawn on every run, holds all class mode shows above the page: the page's own
    # elements keep their places whatever it holds, so no run leaves a stale copy of the lesson view
    # (a rerun cut short leaves the old elements where the new run did not draw).
    bar = st.container(key="class_bar")
    if _is_student() and st.session_state.get(FOLLOW, True):
        with bar:
            _follow(page_name)
    with st.sidebar, st.expander("Class", icon=":material/groups:", expanded=_in_class()):
        _class_box(page_name)
    with bar:
        if _is_teacher():
            _teacher_bar()
        elif _is_student():
            st.session_state[FULL_RUN] = True  # _follow has just applied the room: no need to check it
            _student_live()


def page_drawn() -> None:
    """Call after the page has run to its end: when a student's page last drew (``address_lost``)."""
    if _is_student():
        st.session_state[DRAWN_AT] = time.time()


def _in_class() -> bool:
    return CODE in st.session_state


def _is_teacher() -> bool:
    return KEY in st.session_state


def _is_student() -> bool:
    return MEMBER in st.session_state


def _arrive_from_link() -> None:
    """A join link (``?class=CODE``) makes this session a student; the teacher's link
    (``&key=KEY``) makes it the teacher, if the key is the room's."""
    code = rooms.normal_code(st.query_params.get("class", ""))
    if not code or st.session_state.get(CODE) == code:
        return
    key = st.query_params.get("key", "")
    if key and room_store().teaches(code, key, time.time()):
        _leave()
        st.session_state[CODE], st.session_state[KEY] = code, key
    else:
        _join(code)


def _join(code: str) -> None:
    member = room_store().join(code, time.time())
    _leave()
    if member is None:
        st.session_state[NOTE] = f"There is no open class {code}, or it is full: check the code."
        return
    st.session_state[CODE], st.session_state[MEMBER], st.session_state[FOLLOW] = code, member, True


def _leave() -> None:
    for name in (CODE, KEY, MEMBER, FOLLOW, QUESTION, REVEALED, APPLIED, SEEN_REVEAL):
        st.session_state.pop(name, None)


# --- the sidebar box ---------------------------------------------------------------------------------


def _class_box(page_name: str) -> None:
    if (note := st.session_state.pop(NOTE, None)) is not None:
        st.info(note)
    if _is_teacher():
        _teacher_box(page_name)
    elif _is_student():
        st.markdown(f"You are in class **{st.session_state[CODE]}**.")
        st.button("Leave the class", key="_class_leave", on_click=_leave)
    else:
        _start_or_join()


def _start_or_join() -> None:
    st.button(
        "Start a class",
        key="_class_start",
        icon=":material/co_present:",
        on_click=_start,
        help="Your students follow your screen and answer your questions.",
    )
    with st.form("_class_join_form", border=False):
        st.text_input("Class code", key="_class_typed", max_chars=12, placeholder="e.g. K7P3QX")
        if st.form_submit_button("Join the class"):
            _join(rooms.normal_code(st.session_state.get("_class_typed", "")))
            st.rerun()


def _start() -> None:
    opened = room_store().open(time.time())
    if opened is None:
        st.session_state[NOTE] = "Too many classes are open on this server right now: try again later."
        return
    _leave()
    st.session_state[CODE], st.session_state[KEY] = opened


def _teacher_box(page_name: str) -> None:
    code = st.session_state[CODE]
    st.markdown(f"Class code **{code}** — students join with it, or with this link:")
    link = _link({"class": code})
    st.code(link, language=None)
    st.image(qr_png(link), caption="The join link", width=180)
    st.button("Show the code large", key="_class_project", icon=":material/fit_screen:", on_click=_project)
    for question in questions.for_page(page_name):
        st.button(
            f"Ask: {question.text}",
            key=f"_class_ask_{question.id}",
            icon=":material/quiz:",
            on_click=_ask,
            args=(question,),
        )
    with st.expander("Your teacher link (keep it private)"):
        st.caption("Whoever opens it drives this class. Open it to take the class to another tab.")
        st.code(_link({"class": code, "key": st.session_state[KEY]}), language=None)
    st.button("End the class", key="_class_end", on_click=_leave)


@st.dialog("Join the class", width="large")
def _show_large() -> None:
    code = st.session_state[CODE]
    st.markdown(
        f'<p style="font-size:5rem;font-weight:700;letter-spacing:0.3em;text-align:center;margin:0">'
        f"{html.escape(code)}</p>",
        unsafe_allow_html=True,
    )
    link = _link({"class": code})
    st.image(qr_png(link, scale=12), caption=link)


def _project() -> None:
    st.session_state["_class_show_large"] = True


def _link(query: dict[str, str]) -> str:
    """The app's home address (whatever page this is) with ``query``."""
    scheme, host, path, _, _ = urlsplit(st.context.url or "")
    parts = path.rstrip("/").split("/")
    if parts[-1] in {page.url_path for page in registry.PAGES if page.url_path}:
        parts = parts[:-1]
    return urlunsplit((scheme, host, "/".join(parts) + "/", urlencode(query), ""))


# --- the teacher ----------------------------------------------------------------------------------------


def _ask(question: Question) -> None:
    """Open ``question``: its 'asked' setting on the teacher's screen, the class's answers cleared."""
    _apply(question.asked)
    st.session_state[QUESTION], st.session_state[REVEALED] = question.id, False


def _reveal(question: Question) -> None:
    _apply(question.revealed)
    st.session_state[REVEALED] = True


def _close_question() -> None:
    st.session_state.pop(QUESTION, None)
    st.session_state.pop(REVEALED, None)


def _apply(changes: tuple[tuple[str, object], ...]) -> None:
    for name, value in changes:
        st.session_state[name] = value


def _teacher_bar() -> None:
    if st.session_state.pop("_class_show_large", False):
        _show_large()
    _teacher_live()


@st.fragment(run_every=POLL_SECONDS)
def _teacher_live() -> None:
    """Send the teacher's screen to the room when it changed; show the room and the open question."""
    store, code, now = room_store(), st.session_state[CODE], time.time()
    view = store.view(code, now)
    if view is None:
        _leave()
        st.session_state[NOTE] = "The class has ended (it was idle too long)."
        st.rerun(scope="app")
    if _publish(code, view, _teacher_broadcast(frames.reported_frame("_class_frame_report")), now):
        view = store.view(code, now) or view
    students = f"{view.members} student{'s' if view.members != 1 else ''} joined"
    st.caption(f"Class **{code}** · {students} · they follow your page, settings and time slider.")
    question = questions.BY_ID.get(view.broadcast.question)
    if question is not None:
        _teacher_question(question, view)


def send_settings() -> None:
    """A teacher's settings to the room from the run that has just drawn the controls: a move reaches
    the class now, not at the bar's next tick (its frame stays the one last reported; the bar's tick
    sends the new chart's). Nothing for anyone else."""
    if not _is_teacher():
        return
    code, now = st.session_state[CODE], time.time()
    view = room_store().view(code, now)
    if view is None:
        return
    _publish(code, view, _teacher_broadcast(view.broadcast.frame), now)


def _publish(code: str, view: RoomView, broadcast: Broadcast | None, now: float) -> bool:
    """Send the teacher's ``broadcast`` to the room when it is known and differs from the room's."""
    if broadcast is None or broadcast == view.broadcast:
        return False
    return room_store().publish(rooms.signed(st.session_state[KEY], code, view.seq + 1, broadcast), now)


def _teacher_broadcast(frame: int | None) -> Broadcast | None:
    """The teacher's screen now: page, its settings as its address carries them, frame, question;
    None on a lesson page whose controls have not been drawn yet (its settings are not known)."""
    page = registry.BY_NAME[st.session_state[PAGE]]
    if page.is_lesson and st.session_state.get("_url_page") != page.name:
        return None
    written = st.session_state.get("_url_written", {}) if page.is_lesson else {}
    return Broadcast(
        page=page.name,
        query=tuple(sorted(written.items())),
        frame=frame,
        question=st.session_state.get(QUESTION, ""),
        revealed=bool(st.session_state.get(REVEALED, False)),
    )


def _teacher_question(question: Question, view: RoomView) -> None:
    with st.container(border=True, key="class_question"):
        st.markdown(f"**Question:** {question.text}")
        st.html(_tally_html(question, view.tally))
        if view.broadcast.revealed:
            st.success(f"**{question.answer}.** {question.why}")
            st.button("Close the question", key="_class_close", on_click=_close_question)
            return
        if st.button("Reveal", key="_class_reveal", type="primary", on_click=_reveal, args=(question,)):
            st.rerun(scope="app")  # the revealed setting on the teacher's own page too


def _tally_html(question: Question, tally: dict[str, int]) -> str:
    """The class's answers as horizontal bars, one per choice, in the question's order."""
    total = max(sum(tally.values()), 1)
    rows = []
    for choice in question.choices:
        count = tally.get(choice, 0)
        rows.append(
            '<div style="display:flex;align-items:center;gap:0.6em;margin:0.2em 0">'
            f'<span style="width:12em">{html.escape(choice)}</span>'
            f'<span style="background:#0072b2;height:1.2em;width:{24 * count / total:.2f}em"></span>'
            f"<span>{count}</span></div>"
        )
    answered = sum(tally.values())
    return f'<div class="lab-tally">{"".join(rows)}<small>{answered} answered</small></div>'


# --- the student ------------------------------------------------------------------------------------


def _follow(page_name: str) -> None:
    """Show the teacher's page and settings: switch page when it differs, else set the controls."""
    view = room_store().view(st.session_state[CODE], time.time())
    if view is None:
        _leave()
        st.session_state[NOTE] = "The class has ended."
        return
    target = registry.BY_NAME.get(view.broadcast.page)
    if target is None:
        return
    st.session_state[APPLIED] = (view.broadcast.page, view.broadcast.query)
    settings, _ = parse_query(dict(view.broadcast.query), target.defaults)
    if target.name != page_name:
        if target.is_lesson:  # what lessons/url_state.py opens a page with when its address names none
            st.session_state[f"_kept_{target.name}"] = settings
        st.switch_page(target.script)
    if target.is_lesson:
        for name in target.controls:
            st.session_state[name] = getattr(settings, name)
        st.html(LOCKED_CONTROLS_CSS)


@st.fragment(run_every=POLL_SECONDS)
def _student_live() -> None:
    view = room_store().view(st.session_state[CODE], time.time())
    if view is None:
        _leave()
        st.session_state[NOTE] = "The class has ended."
        st.rerun(scope="app")
    fresh = st.session_state.pop(FULL_RUN, False)
    if _revealed_now(view) or (not fresh and _following() and _out_of_step(view)):
        st.session_state[FOLLOW] = True
        st.rerun(scope="app")
    _student_status()
    if _following():
        frames.follow_frame(view.broadcast.frame, "_class_frame_follow")
    question = questions.BY_ID.get(view.broadcast.question)
    if question is not None:
        _student_question(question, view)


def _following() -> bool:
    return bool(st.session_state.get(FOLLOW, True))


def _out_of_step(view: RoomView) -> bool:
    """Whether this student's screen is not the teacher's: another page, or other settings."""
    broadcast = view.broadcast
    if (broadcast.page, broadcast.query) != st.session_state.get(APPLIED):
        return True
    if broadcast.page != st.session_state.get(PAGE):
        return True
    page = registry.BY_NAME.get(broadcast.page)
    if page is None or not page.is_lesson:
        return False
    shown, wanted = st.session_state.get("_url_written", {}), dict(broadcast.query)
    if any(shown.get(name) != wanted.get(name) for name in page.controls):
        return True
    drawn_at = st.session_state.get(DRAWN_AT)
    return drawn_at is not None and address_lost(shown, st.query_params.to_dict(), time.time() - drawn_at)


def address_lost(written: dict[str, str], address: dict[str, str], since_drawn: float) -> bool:
    """Whether the page run that wrote ``written`` never reached the student's browser: its address
    (sent with every poll) still lacks it ``since_drawn`` seconds after the run, past ADDRESS_GRACE_S.

    Streamlit can drop a finished run's messages when the next run starts before they were sent (a
    loaded server, polls queued behind the run): the server holds the new settings, the browser
    shows the old ones, and only the address tells.
    """
    lagging = any(address.get(name) != value for name, value in written.items())
    return lagging and since_drawn > ADDRESS_GRACE_S


def _revealed_now(view: RoomView) -> bool:
    """A reveal the student has not seen yet: it brings an exploring student back to the teacher."""
    broadcast = view.broadcast
    if not broadcast.revealed or st.session_state.get(SEEN_REVEAL) == broadcast.question:
        return False
    st.session_state[SEEN_REVEAL] = broadcast.question
    return not _following()


def _student_status() -> None:
    """The class line and its one button: explore on my own, or follow the teacher again (a whole
    rerun: the controls unlock, or the teacher's settings come back, at once)."""
    code = st.session_state[CODE]
    left, right = st.columns([3, 1], vertical_alignment="center")
    if _following():
        left.caption(f"Class **{code}** · you are following the teacher's screen.")
        clicked = right.button(
            "Explore on my own", key="_class_explore", icon=":material/explore:", on_click=_explore
        )
    else:
        left.caption(f"Class **{code}** · you are exploring on your own; the class goes on.")
        clicked = right.button(
            "Follow the teacher", key="_class_follow_again", icon=":material/sync:", on_click=_rejoin
        )
    if clicked:
        st.rerun(scope="app")


def _explore() -> None:
    st.session_state[FOLLOW] = False


def _rejoin() -> None:
    st.session_state[FOLLOW] = True
    st.session_state.pop(APPLIED, None)


def _student_question(question: Question, view: RoomView) -> None:
    mine = st.session_state.get(f"_class_answer_{question.id}")
    with st.container(border=True, key="class_question"):
        st.markdown(f"**Question:** {question.text}")
        if view.broadcast.revealed:
            verdict = (
                "" if mine is None else (" You got it." if mine == question.answer else f" You said {mine}.")
            )
            st.success(f"**{question.answer}.**{verdict} {question.why}")
            st.html(_tally_html(question, view.tally))
            return
        columns = st.columns(len(question.choices))
        for column, choice in zip(columns, question.choices, strict=True):
            column.button(
                choice,
                key=f"_class_choice_{question.id}_{choice}",
                type="primary" if choice == mine else "secondary",
                on_click=_answer,
                args=(question, choice),
                width="stretch",
            )
        st.caption("You can change your answer until the teacher reveals it. Nobody sees who answered what.")


def _answer(question: Question, choice: str) -> None:
    code, member = st.session_state[CODE], st.session_state[MEMBER]
    if room_store().answer(code, member, question.id, choice, time.time()):
        st.session_state[f"_class_answer_{question.id}"] = choice
    else:
        st.session_state[NOTE] = "That answer arrived too late: the question is closed."
