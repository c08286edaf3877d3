FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    KAKEHASHI_ENV=production \
    KAKEHASHI_DATABASE_URL=sqlite:////data/kakehashi.db \
    KAKEHASHI_UPLOAD_DIR=/data/uploads \
    KAKEHASHI_CACHE_DIR=/data/cache

WORKDIR /srv/kakehashi
# CPU-only torch first, from PyTorch's CPU index, so no CUDA wheels are pulled.
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY matching ./matching
COPY migrations ./migrations
COPY seed_data ./seed_data
RUN pip install --no-cache-dir . && useradd --create-home kakehashi && mkdir -p /data \
    && chown kakehashi /data
USER kakehashi
VOLUME ["/data"]
EXPOSE 8000
# KAKEHASHI_SECRET_KEY must be provided at run time; the service refuses to start without it.
CMD ["sh", "-c", "kakehashi db upgrade && exec uvicorn app.main:create_app --factory --host 0.0.0.0 --port 8000 --proxy-headers"]
