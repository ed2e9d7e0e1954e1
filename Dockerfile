# Changxiao service image: Python 3.11 on Debian with the CJK fonts PDFs need.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 fontconfig \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
COPY jobs ./jobs
COPY migrations ./migrations
COPY templates ./templates
RUN pip install -e . && useradd --system --home /app changxiao && mkdir -p var && chown changxiao var
USER changxiao

EXPOSE 8000
CMD ["sh", "-c", "changxiao migrate && changxiao serve --host 0.0.0.0 --port 8000"]
