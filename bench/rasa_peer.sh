#!/usr/bin/env bash
# The Rasa peer benchmark: BANKING77 through a real Rasa 3.6.21 (its default pipeline,
# DIET), next to Switchboard's own figures from bench/nlu_banking77.py in the same run.
#
#   bench/rasa_peer.sh                 # DIET capped at 10 epochs (RASA_EPOCHS to change)
#
# Rasa 3.6 needs Python 3.10 and SQLAlchemy < 2, so it lives in its own virtual
# environment made from the pyenv interpreter. Never run in CI: training takes >10 min.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
DATA="${BANKING77_DIR:-$ROOT/../shared/datasets/banking77}"
PY310="${RASA_PYTHON:-/root/.pyenv/versions/3.10.13/bin/python}"
VENV="${RASA_VENV:-/tmp/rasa-3.6.21-venv}"
WORK="${RASA_WORK:-/tmp/rasa-peer}"
EPOCHS="${RASA_EPOCHS:-10}"
PORT="${RASA_PORT:-5055}"
export RASA_TELEMETRY_ENABLED=false
PYTHON="${SWITCHBOARD_PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON="$(command -v python3)"

if [ ! -x "$PY310" ]; then
  echo "SKIPPED: no Python 3.10 at $PY310 (set RASA_PYTHON); Rasa 3.6 cannot run here."
  exit 0
fi
if [ ! -x "$VENV/bin/rasa" ]; then
  "$PY310" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "rasa==3.6.21"
fi

mkdir -p "$WORK/data"
"$PYTHON" - "$DATA/train.csv" "$WORK/data/nlu.yml" <<'PY'
import csv, sys
from collections import defaultdict
by_intent = defaultdict(list)
with open(sys.argv[1], newline="", encoding="utf-8") as file:
    for row in csv.DictReader(file):
        # Brackets would read as entity annotations in Rasa's format.
        by_intent[row["category"]].append(row["text"].replace("[", "(").replace("]", ")"))
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.write('version: "3.1"\nnlu:\n')
    for intent, texts in by_intent.items():
        out.write(f"- intent: {intent}\n  examples: |\n")
        out.writelines(f"    - {' '.join(text.split())}\n" for text in texts)
PY
cat > "$WORK/config.yml" <<YML
recipe: default.v1
language: en
assistant_id: switchboard-banking77-peer
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: $EPOCHS
    constrain_similarities: true
policies: []
YML
printf 'version: "3.1"\nintents: []\n' > "$WORK/domain.yml"

echo "Rasa 3.6.21, DIET capped at $EPOCHS epochs (Rasa's default is 100): training..."
start=$(date +%s)
/usr/bin/time -v "$VENV/bin/rasa" train nlu --config "$WORK/config.yml" \
  --nlu "$WORK/data/nlu.yml" --out "$WORK/models" --fixed-model-name banking77 \
  2> "$WORK/train.time" > "$WORK/train.log"
train_seconds=$(( $(date +%s) - start ))
train_peak_kb=$(awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}' "$WORK/train.time")

"$VENV/bin/rasa" run --enable-api -m "$WORK/models/banking77.tar.gz" --port "$PORT" \
  > "$WORK/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 180); do
  curl -fs "http://127.0.0.1:$PORT/status" >/dev/null 2>&1 && break
  sleep 1
done

"$PYTHON" - "$DATA/test.csv" "$PORT" "$server" "$train_seconds" "$train_peak_kb" <<'PY'
import csv, statistics, sys, time
import httpx
test_csv, port, pid, train_seconds, train_peak_kb = sys.argv[1:]
with open(test_csv, newline="", encoding="utf-8") as file:
    rows = list(csv.DictReader(file))
right, latencies = 0, []
with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
    for row in rows:
        started = time.perf_counter()
        answer = client.post("/model/parse", json={"text": row["text"]}).json()
        latencies.append((time.perf_counter() - started) * 1000)
        right += answer["intent"]["name"] == row["category"]
rss_kb = next(int(line.split()[1]) for line in open(f"/proc/{pid}/status")
              if line.startswith("VmRSS"))
latencies.sort()
print(f"Rasa 3.6.21 DIET: accuracy {right / len(rows):.4f}, training {train_seconds} s "
      f"(peak {int(train_peak_kb) // 1024} MB), parse p50 {statistics.median(latencies):.1f} ms "
      f"p99 {latencies[int(len(latencies) * 0.99)]:.1f} ms (HTTP), server RSS {rss_kb // 1024} MB")
PY

if [ "${RASA_ONLY:-0}" != "1" ]; then
  echo
  echo "Switchboard on the same split (bench/nlu_banking77.py):"
  (cd "$ROOT" && "$PYTHON" bench/nlu_banking77.py --data "$DATA")
fi
