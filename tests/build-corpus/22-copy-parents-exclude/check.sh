[[ -f "$ROOT/p/a/x/file.txt" && -f "$ROOT/p/b/y/file.txt" ]] || { echo "--parents"; exit 1; }
[[ -f "$ROOT/nolog/keep.txt" && ! -e "$ROOT/nolog/drop.log" ]] || { echo "--exclude"; exit 1; }
