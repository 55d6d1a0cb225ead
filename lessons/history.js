// One history entry per page visit (lessons/history.py): a pushState that keeps the path, which is
// Streamlit writing a page's settings to the address, replaces the current entry instead.
export default function ({ parentElement }) {
  parentElement.replaceChildren();
  const history = window.history;
  if (history.__labOneEntryPerVisit) return;
  history.__labOneEntryPerVisit = true;
  const push = history.pushState.bind(history);
  const replace = history.replaceState.bind(history);
  history.pushState = (state, unused, url) => {
    const next = url == null ? window.location : new URL(url, window.location.href);
    return (next.pathname === window.location.pathname ? replace : push)(state, unused, url);
  };
}
