# The same app as `make run`: migrate, then serve. SQLite under /data by default; set
# DATABASE_URL for PostgreSQL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATA_DIR=/data HOST=0.0.0.0 PORT=8000
WORKDIR /srv/accord

COPY pyproject.toml ./
COPY app ./app
RUN pip install --no-cache-dir -e . && useradd --system --home /srv/accord accord \
    && mkdir -p /data && chown accord /data

COPY alembic.ini ./
COPY migrations ./migrations
COPY frontend ./frontend

USER accord
VOLUME ["/data"]
EXPOSE 8000
CMD ["sh", "-c", "alembic upgrade head && exec uvicorn --factory app.main:create_app --host \"$HOST\" --port \"$PORT\" --proxy-headers"]
