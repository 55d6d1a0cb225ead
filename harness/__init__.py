"""What the tests and the benchmarks share: the app as a browser sees it (``harness.server``) and the
charts an AppTest run drew (``harness.payloads``). Nothing here is part of the app."""
