"""The layers every API request passes through, each with one job, composed in ``app.main``:

- ``body_guard``: the body capped (413) and free of lone surrogates (422), read once;
- ``conditional``: a GET answered with an ETag of its content, or an empty 304;
- ``idempotency``: a keyed POST or PATCH acts once, and its repeats are replayed;
- ``unit_of_work``: one session, committed once before the client sees a success, and database
  errors mapped to answers (409, 422, 503, a JSON 500).

``ApiLayers`` (``layers.py``) runs API requests through them and lets everything else by.

A layer with nothing to do for a request returns the next layer's awaitable instead of awaiting
it (``__call__`` is a plain function): no frame of its own is resumed at every await below it,
so the layers together cost about what one middleware doing all their jobs did.
"""
