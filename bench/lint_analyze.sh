#!/usr/bin/env bash
# kiln lint of a 200-line Dockerfile (goal: under 20 ms), against the floors of starting kiln
# and parsing the same file; and kiln analyze of a ~1 GB, ~50,000-file image in five layers
# (goal: within 1.5x of `kiln export IMAGE >/dev/null`, which reads the same layers and writes
# the flattened tree). Neither hadolint nor dive is packaged in Debian, so the references are
# kiln's own floors.
source "$(dirname "$0")/common.sh"
k=$BENCH_DIR/analyze-store
rm -rf "$k"

# A 200-line, three-stage Dockerfile of the usual instructions.
df=$BENCH_DIR/lint-200.Dockerfile
python3 - "$df" <<'PY'
import sys
lines = ["# syntax=docker/dockerfile:1", "ARG BASE=debian:12", "FROM ${BASE} AS build",
         "WORKDIR /src", "COPY package.json package-lock.json ./"]
i = 0
while len(lines) < 120:
    i += 1
    lines += [f"ENV STEP_{i}=value-{i}", f"LABEL com.example.step{i}=\"{i}\"",
              f"RUN apt-get update && apt-get install -y --no-install-recommends pkg{i}=1.{i} \\",
              f"    && make -C /src/part{i} -j4 | tee /tmp/log{i} \\",
              f"    && rm -rf /var/lib/apt/lists/*",
              f"COPY src/part{i} /src/part{i}"]
lines += ["FROM debian:12 AS test", "COPY --from=build /src /src"]
while len(lines) < 190:
    i += 1
    lines += [f"RUN /src/run-test {i} && echo done-{i}", f"ENV T_{i}=${{T_{i-1}:-x}}"]
lines += ["FROM gcr.io/distroless/base:nonroot", "COPY --from=build /src/out /app",
          "USER 65532:65532", "EXPOSE 8080", "HEALTHCHECK CMD [\"/app\", \"--health\"]",
          "ENTRYPOINT [\"/app\"]"]
while len(lines) < 200:
    lines.append(f"LABEL extra{len(lines)}=x")
open(sys.argv[1], "w").write("\n".join(lines[:200]) + "\n")
PY
t_version=$(run kiln-version "true" "$KILN version >/dev/null")
t_parse=$(run lint-parse "true" "$KILN dockerfile parse $df >/dev/null")
t_lint=$(run lint-200 "true" "$KILN lint --no-store --no-shellcheck --failure-threshold none $df >/dev/null")
t_lint_store=$(run lint-200-store "true" "$KILN --root $k lint --no-shellcheck --failure-threshold none $df >/dev/null")
t_lint_sc=-1
command -v shellcheck >/dev/null &&
  t_lint_sc=$(run lint-200-shellcheck "true" "$KILN lint --no-store --failure-threshold none $df >/dev/null")
findings=$($KILN lint --no-store --no-shellcheck --failure-threshold none --format json "$df" |
  python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')

# The image: busybox, then /usr/include and part of /usr/share copied in, a chown -R of one tree
# (a rewrite) and an rm -rf of another (a deletion).
ctx=$BENCH_DIR/analyze-ctx
mkdir -p "$ctx/share"
[[ -d $ctx/include ]] || cp -a /usr/include "$ctx/include"
for d in doc locale man i18n zoneinfo perl fpcsrc package-lists; do
  [[ -d /usr/share/$d && ! -d $ctx/share/$d ]] && cp -a "/usr/share/$d" "$ctx/share/"
done
"$ROOT/scripts/make-busybox-rootfs" "$BENCH_DIR/analyze-rootfs" >/dev/null
$KILN --root "$k" import -q "$BENCH_DIR/analyze-rootfs" abase >/dev/null
cat >"$ctx/Dockerfile" <<'D'
FROM abase
COPY include /usr/include
COPY share /usr/share
RUN chown -R 1000:1000 /usr/include/linux
RUN rm -rf /usr/share/doc
D
$KILN --root "$k" build -q -t big "$ctx" >/dev/null
t_export=$(run analyze-export "true" "$KILN --root $k export big >/dev/null")
# The read floor: decompressing every layer blob of the image, one process per core.
blobs=$BENCH_DIR/analyze-blobs
find "$k/blobs" -type f -size +64k -print0 | xargs -0 -n1 sh -c 'head -c2 "$0" | od -An -tx1 | grep -q "1f 8b" && echo "$0"' >"$blobs" || true
t_gunzip=$(run analyze-gunzip "true" "xargs -P $(nproc) -n1 sh -c 'gzip -dc <\"\$0\" >/dev/null' <$blobs")
t_analyze=$(run analyze-json "true" "$KILN --root $k analyze --format json big >/dev/null")
t_html=$(run analyze-html "true" "$KILN --root $k analyze --format html big >/dev/null")
rss=$( { /usr/bin/time -f '%M' $KILN --root "$k" analyze --format json big >/dev/null; } 2>&1 | tail -1)
read -r size files eff waste <<<"$($KILN --root "$k" analyze --format json big | python3 -c '
import json,sys; s=json.load(sys.stdin)["summary"]; print(s["image_size"], s["files"], s["efficiency"], s["waste_total"])')"
rm -rf "$k"
python3 - <<PY
print(f"$(nproc) cores, median of $RUNS runs")
print("| case | kiln | floor | ratio |")
print("|---|---|---|---|")
print(f"| kiln lint, 200-line Dockerfile ($findings findings), no store, no shellcheck | {$t_lint*1000:.1f} ms | kiln dockerfile parse {$t_parse*1000:.1f} ms (kiln version {$t_version*1000:.1f} ms) | {$t_lint/$t_parse:.2f} |")
print(f"| the same, base images looked up in the local store | {$t_lint_store*1000:.1f} ms | | |")
if $t_lint_sc > 0:
    print(f"| the same, with shellcheck over every RUN | {$t_lint_sc*1000:.1f} ms | | |")
print(f"| kiln analyze --format json, {$size/1e6:.0f} MB / {$files} files in 5 layers | {$t_analyze:.3f} s | kiln export {$t_export:.3f} s | {$t_analyze/$t_export:.2f} |")
print(f"| the same, against decompressing the layers (gzip -dc, one per core) | {$t_analyze:.3f} s | {$t_gunzip:.3f} s | {$t_analyze/$t_gunzip:.2f} |")
print(f"| kiln analyze --format html, same image | {$t_html:.3f} s | kiln export {$t_export:.3f} s | {$t_html/$t_export:.2f} |")
print()
print(f"efficiency {$eff:.4f}, waste found {$waste/1e6:.0f} MB; peak RSS of analyze: {$rss/1024:.0f} MB")
PY
