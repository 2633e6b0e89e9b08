# The hub (and the simulated network, for trying it out) in one image.
#   docker build -t carrefour .
#   docker run --rm carrefour --version
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CARREFOUR_DATA_DIR=/var/lib/carrefour \
    CARREFOUR_LOG_FORMAT=json

WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . \
    && useradd --system --home-dir /var/lib/carrefour --shell /usr/sbin/nologin carrefour \
    && mkdir -p /var/lib/carrefour \
    && chown carrefour /var/lib/carrefour

USER carrefour
WORKDIR /var/lib/carrefour
EXPOSE 8000
ENTRYPOINT ["carrefour"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
