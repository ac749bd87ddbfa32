# syntax=docker/dockerfile:1
# Build: docker build -t iagente-vida .
# Run:   docker run -p 5000:5000 -e REDIS_URL=redis://redis:6379/0 iagente-vida

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    WEBHOOK_HOST=0.0.0.0 WEBHOOK_PORT=5000 VAR_DIR=/app/var
RUN useradd --system --create-home --home-dir /app iagente
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY run_webhook.py gunicorn.conf.py ./
USER iagente
EXPOSE 5000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os,urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"WEBHOOK_PORT\"]}/webhook/status', timeout=4)"
CMD ["iagente", "serve"]
