#!/usr/bin/env bash
# Parsing a 10,000-line Dockerfile (syntax tree + instruction model), in-process. Goal: < 20 ms.
source "$(dirname "$0")/common.sh"
f=$BENCH_DIR/big.Dockerfile
python3 - "$f" <<'PY'
import sys
lines = ["# syntax=docker/dockerfile:1", "ARG BASE=busybox"]
stage = 0
while len(lines) < 10000:
    lines += [f"FROM $BASE AS s{stage}",
              f"ENV A{stage}=1 B{stage}=\"two words\" PATH=/usr/local/bin:$PATH",
              f"LABEL org.example.n=\"{stage}\" org.example.m=x",
              f"COPY --chown=1000:1000 --chmod=0644 src/{stage}/ /app/{stage}/",
              "RUN --mount=type=cache,target=/root/.cache \\",
              "    set -eux; \\",
              f"    echo building {stage} && \\",
              "    ls -la /app",
              "WORKDIR /app",
              "EXPOSE 8080/tcp",
              'CMD ["/bin/sh", "-c", "echo hi"]',
              "RUN <<EOF",
              "echo heredoc line",
              "EOF"]
    stage += 1
open(sys.argv[1], "w").write("\n".join(lines[:10000]) + "\n")
PY
"$KILN_BENCH" dockerfile "$f"
