FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY bot ./bot
# The exact versions the tests ran with (constraints.txt); pyproject.toml has only lower bounds.
RUN pip install --no-cache-dir -c constraints.txt .
COPY knowledge ./knowledge
COPY conversations ./conversations

ENV WEGWIJS_KNOWLEDGE_DIR=/app/knowledge \
    WEGWIJS_CONVERSATIONS_DIR=/app/conversations \
    WEGWIJS_DATA_DIR=/data \
    PYTHONUNBUFFERED=1
VOLUME /data
RUN useradd --system --home /data wegwijs && mkdir -p /data && chown wegwijs /data
USER wegwijs

# Run with a restart policy (docker run --restart unless-stopped): the bot exits on fatal start-up errors.
CMD ["python", "-m", "bot", "run"]
