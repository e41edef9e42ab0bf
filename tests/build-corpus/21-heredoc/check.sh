[[ "$(cat "$ROOT/heredoc-run.txt")" == $'line one\nline two' ]] || { echo "heredoc RUN"; exit 1; }
[[ "$(cat "$ROOT/etc/greeting.conf")" == "greeting = hello" ]] || { echo "heredoc COPY"; exit 1; }
[[ "$(cat "$ROOT/inline.txt")" == "inline heredoc" ]] || { echo "inline heredoc"; exit 1; }
