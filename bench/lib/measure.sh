# Shell helpers the director benchmarks share (sourced by bench/director and bench/director-methods): CPU time of a
# process and of a core, wrk's output as numbers, arithmetic, medians.

clk=$(getconf CLK_TCK)
cpu_ticks() { # pid: utime+stime of a process (all its threads), clock ticks
  [ -n "$1" ] && [ -r "/proc/$1/stat" ] || { echo 0; return; }
  sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}
core_ticks() { # cpu -> "busy softirq total" ticks from /proc/stat
  [ -n "$1" ] || { echo "0 0 0"; return; }
  awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, $8, t }' /proc/stat
}

to_us() {
  awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    if (u == "ms") n *= 1000; else if (u == "s") n *= 1000000; else if (u == "m") n *= 60000000;
    printf "%.0f", n }'
}
parse_wrk() { # outfile -> "requests rps p50us p99us errors timeouts non2xx"
  local f=$1 req rps p50 p99 err tmo non2xx
  req=$(awk '/ requests in / {print $1}' "$f")
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$f")
  p50=$(awk '$1 == "50%" {print $2}' "$f")
  p99=$(awk '$1 == "99%" {print $2}' "$f")
  err=$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8}' "$f")
  tmo=$(awk '/Socket errors:/ {gsub(",", ""); print $10}' "$f")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$f")
  [ -n "$req" ] && [ -n "$rps" ] && [ -n "$p50" ] && [ -n "$p99" ] || return 1
  echo "$req $rps $(to_us "$p50") $(to_us "$p99") ${err:-0} ${tmo:-0} ${non2xx:-0}"
}
field() { sed -n "s/\(.* \)\{0,1\}$1=\([0-9.]*\).*/\2/p" "$2"; } # key file: a key=value of udpbench's line

calc() { awk "BEGIN { printf \"%.10g\", ($1) }"; }
median() {
  tr -s ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}

to_bytes() { # wrk's 123.53KB / 1.2GB -> bytes
  awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    if (u == "KB") n *= 1024; else if (u == "MB") n *= 1048576; else if (u == "GB") n *= 1073741824;
    printf "%.0f", n }'
}
wrk_bytes_per_second() { # outfile -> response bytes per second (wrk's Transfer/sec)
  to_bytes "$(awk '/^Transfer\/sec:/ {print $2}' "$1")"
}
