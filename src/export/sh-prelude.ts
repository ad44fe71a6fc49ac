/**
 * The functions every exported script starts with (`setup export sh`). Step bodies run in their own
 * `bash -e -o pipefail`, so the helpers they use are handed to each one (`declare -f`); a root step runs
 * through `sudo` when the script is not root, its body and the values it needs (HOME, the secrets) on
 * stdin, never on a command line.
 */
export const PRELUDE = String.raw`set -u -o pipefail
_SAT=0 _RAN=0 _NOCHECK=0 _PRE=0 _CUR= _CHILD=
# Does file $1 hold exactly the text $2?
_same() { [ -f "$1" ] && cmp -s -- "$1" <(printf '%s' "$2"); }
# Has file $1 mode $2 (octal, 4 digits)?
_mode_is() { [ "$(stat -c %04a -- "$1")" = "$2" ]; }
# Stdin into file $1 atomically: a temp file beside it, mode $2 (else the file's, else 0666 less the umask), renamed over it.
# A symlink is written through (the link kept); a dangling one is refused, as setup does.
_write() {
  local f=$1 d t
  if [ -L "$f" ]; then
    [ -e "$f" ] || { echo "$f: a symlink to $(readlink -- "$f"), which does not exist: create it, or remove the link" >&2; return 1; }
    f=$(readlink -f -- "$f")
  fi
  d=$(dirname -- "$f")
  mkdir -p -- "$d"
  t=$(mktemp -- "$d/.envkit-tmp-XXXXXX")
  cat >"$t" || { rm -f -- "$t"; return 1; }
  if [ -n "$2" ]; then chmod "$2" "$t"
  elif [ -e "$f" ]; then chmod --reference="$f" "$t"
  else chmod "$(printf '%04o' $((0666 & ~0$(umask))))" "$t"; fi
  mv -f -- "$t" "$f"
}
# A value as one shell word that reads back as exactly it (a secret written into the env file).
_shq() { local q="'" r="'\\''"; printf "'%s'" "$~{1//$q/$r}"; }
# A value as the inside of a JSON string, escaped as JSON.stringify does (a secret written into a json or yaml file).
_jsq() {
  local s=$1 b='\' q='"' c h u i
  s=$~{s//"$b"/"$b$b"}; s=$~{s//"$q"/"$b$q"}
  s=$~{s//$'\n'/"$~{b}n"}; s=$~{s//$'\t'/"$~{b}t"}; s=$~{s//$'\r'/"$~{b}r"}; s=$~{s//$'\b'/"$~{b}b"}; s=$~{s//$'\f'/"$~{b}f"}
  if [[ $s == *[[:cntrl:]]* ]]; then
    for i in 1 2 3 4 5 6 7 11 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31; do
      printf -v h %02x "$i"; printf -v c "\\x$h"; printf -v u '\\u%04x' "$i"
      s=$~{s//"$c"/"$u"}
    done
  fi
  printf '%s' "$s"
}
# Does env file $1 hold the entry $2 (whole lines)?
_has_entry() { [ -f "$1" ] && [[ $'\n'"$(cat -- "$1")"$'\n' == *$'\n'"$2"$'\n'* ]]; }
# Appends block $2 to rc file $1 as setup does: after one blank line, or alone in an empty file.
_append_block() {
  if [ ! -s "$1" ]; then printf '%s' "$2" | _write "$1" ''
  elif [ -z "$(tail -c 1 -- "$1")" ]; then printf '\n%s' "$2" >>"$1"
  else printf '\n\n%s' "$2" >>"$1"; fi
}
_HELPERS=$(declare -f _same _mode_is _write _has_entry _append_block _shq _jsq)
# Runs body $3 with bash -e -o pipefail (as root when $1 is 1), at most $2 seconds (0: no limit).
# \`timeout\` puts the step in its own process group, out of reach of Ctrl-C: it runs in the background and
# the script waits for it, so a signal's trap (_interrupted) runs at once and stops it through timeout.
_run() {
  local pre=() rc
  [ "$2" = 0 ] || pre=(timeout -k 3 "$2")
  if [ "$1" = 1 ] && [ "$(id -u)" != 0 ]; then
    if [ "$2" = 0 ]; then _root_input "$3" | sudo -n -- bash -c "$_ROOT_SH"; return; fi
    _root_input "$3" | sudo -n -- "$~{pre[@]}" bash -c "$_ROOT_SH" &
  else
    if [ "$2" = 0 ]; then bash -e -o pipefail -c "$_HELPERS"$'\n'"$3"; return; fi
    "$~{pre[@]}" bash -e -o pipefail -c "$_HELPERS"$'\n'"$3" <&0 &
  fi
  _CHILD=$!
  wait "$_CHILD" && rc=0 || rc=$?
  _CHILD=
  return "$rc"
}
# What a root step's bash reads on stdin (never a command line): HOME, the secrets, the helpers and body $1.
_root_input() {
  local s
  printf 'export HOME=%q\n' "$HOME"
  for s in "$~{_SECRETS[@]}"; do printf 'export %s=%q\n' "$s" "$~{!s}"; done
  printf '%s\n%s\n' "$_HELPERS" "$1"
}
_ROOT_SH='src=$(cat); exec </dev/null; set -e -o pipefail; eval "$src"'
# Root directly, or through sudo without a password (a root step never waits for one).
_can_root() { [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }
# Runs the steps in the first pass (_PRE=1): stops before any step when a root step would run and root cannot be had.
_root_first() {
  _can_root && return 0
  _PRE=1 _BLOCKED=()
  _steps
  _PRE=0
  [ "$~{#_BLOCKED[@]}" = 0 ] && return 0
  local b
  for b in "$~{_BLOCKED[@]}"; do
    printf 'setup: step %s needs root: run this script as root, or allow %s passwordless sudo (sudo -n)\n' "$b" "$(id -un)" >&2
  done
  echo 'setup: nothing was run' >&2
  exit 1
}
# Ctrl-C or SIGTERM: stop there, naming the step, as setup does (exit 130; bash runs this once the step's command
# has ended, which may have caught the signal and exited 1: never read as a failure to retry).
_interrupted() {
  [ -z "$_CHILD" ] || { kill -TERM "$_CHILD" 2>/dev/null; wait "$_CHILD" 2>/dev/null; }
  printf 'setup: interrupted%s: run the script again to go on\n' "$~{_CUR:+ during step $_CUR}" >&2
  exit 130
}
trap _interrupted INT TERM
_fail() { printf 'setup: step %s (%s) failed: %s\n' "$1" "$2" "$3" >&2; exit 1; }
# One step: id, name, root, timeout, retries, recheck (1: check again after it runs), check (empty: none), apply.
_step() {
  local id=$1 name=$2 n=0 rc
  _CUR="$id ($name)"
  if [ "$_PRE" = 1 ]; then
    # The first pass, when root cannot be had: which root steps would run? (as setup's plan: blocked)
    [ "$3" = 1 ] || return 0
    if [ -n "$7" ] && _run 0 60 "$7" >/dev/null 2>&1; then return 0; fi
    _BLOCKED+=("$id ($name)")
    return 0
  fi
  if [ -n "$7" ]; then
    if _run 0 60 "$7" >/dev/null 2>&1; then printf 'ok       %s %s: satisfied\n' "$id" "$name"; _SAT=$((_SAT + 1)); return 0; fi
  else _NOCHECK=$((_NOCHECK + 1)); fi
  printf 'run      %s %s%s\n' "$id" "$name" "$([ -n "$7" ] || echo ' (no check: runs every time)')"
  while :; do
    if _run "$3" "$4" "$8"; then break; else rc=$?; fi
    [ "$rc" != 124 ] || rc="timed out after $4s"
    n=$((n + 1))
    [ "$n" -le "$5" ] || _fail "$id" "$name" "$(case $rc in *[!0-9]*) echo "$rc" ;; *) echo "exited $rc" ;; esac)"
    printf 'retry    %s %s (%s of %s)\n' "$id" "$name" "$n" "$5"
  done
  if [ "$6" = 1 ] && ! _run 0 60 "$7" >/dev/null 2>&1; then _fail "$id" "$name" 'it ran, but its check still does not hold'; fi
  printf 'done     %s %s\n' "$id" "$name"
  _RAN=$((_RAN + 1))
}
`.replaceAll('$~{', '${'); // written `$~{` above: `${` would be a template placeholder
