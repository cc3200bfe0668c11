# The same app as `make run`: migrate, then serve. SQLite under /data by default; set
# DATABASE_URL for PostgreSQL. compose.yaml runs the migration once in a service of its own
# and starts the app processes and the reminder workers from this same image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data HOST=0.0.0.0 PORT=8000
WORKDIR /srv/accord

# The dependencies first, in a layer of their own: rebuilt only when pyproject.toml changes,
# not on every change of the code.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt \
    && useradd --system --home /srv/accord accord \
    && mkdir -p /data && chown accord /data

# Then the code, installed in place without touching the dependencies (the app finds
# frontend/, alembic.ini and migrations/ next to app/).
COPY app ./app
RUN pip install --no-cache-dir --no-deps -e .
COPY alembic.ini ./
COPY migrations ./migrations
COPY frontend ./frontend

USER accord
VOLUME ["/data"]
EXPOSE 8000
# Slim has no curl: Python asks /healthz, which answers 200 only after a round trip to the
# database. Not for the reminder workers, which serve no HTTP (compose.yaml turns it off).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"
CMD ["sh", "-c", "alembic upgrade head && exec uvicorn --factory app.main:create_app --host \"$HOST\" --port \"$PORT\" --proxy-headers"]
