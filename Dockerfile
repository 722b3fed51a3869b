# The survey engine's image: one image, three commands (see compose.yaml and README,
# "Running it in production"): `survey db upgrade`, `survey web`, `survey scheduler`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SURVEY_INSTANCE_PATH=/var/lib/survey

RUN useradd --system --create-home --home-dir /var/lib/survey survey

WORKDIR /srv/survey
# The templates and migrations are read beside the package: install it in place.
COPY pyproject.toml README.md babel.cfg wsgi.py ./
COPY survey ./survey
COPY jobs ./jobs
COPY templates ./templates
COPY migrations ./migrations
RUN pip install -e . && pybabel compile -d survey/translations

USER survey
EXPOSE 8000
# SIGTERM stops both gracefully (gunicorn drains requests; the scheduler finishes its slice).
STOPSIGNAL SIGTERM
ENTRYPOINT ["survey"]
CMD ["web", "--bind", "0.0.0.0:8000"]
