# Shell helpers for h2load (nghttp2's HTTP/2 load generator), sourced by bench/run-http: its output as numbers.
# h2load prints no latency percentiles, only min/max/mean/sd; its per-request log (--log-file: start time in us,
# status, us until the end of the response, tab-separated, one line per request) is where they come from.

h2load_latency() { # logfile -> "p50us p99us p999us maxus count" over every answered request of the log
  awk -F'\t' '$2 > 0 {print $3}' "$1" | sort -n | awk '
    { a[NR] = $1 }
    END {
      if (NR == 0) { print "0 0 0 0 0"; exit }
      # nearest rank: the smallest value with at least q of the requests at or below it
      n50 = int(NR * 0.50); if (n50 < NR * 0.50) n50++
      n99 = int(NR * 0.99); if (n99 < NR * 0.99) n99++
      n999 = int(NR * 0.999); if (n999 < NR * 0.999) n999++
      print a[n50], a[n99], a[n999], a[NR], NR
    }'
}

h2load_parse() { # outfile latencyfile -> "rps p50us p99us errors" (errors: failed, errored, timed out, non-2xx)
  local rps bad p50 p99
  rps=$(awk '/^finished in / {gsub(",", ""); print $4}' "$1")
  bad=$(awk '/^requests: / {gsub(",", ""); print $10 + $12 + $14}
             /^status codes: / {gsub(",", ""); print $5 + $7 + $9}' "$1" | awk '{s += $1} END {print s + 0}')
  read -r p50 p99 _ <"$2" || { p50=0 p99=0; }
  # No summary line: h2load did not finish; count that as an error rather than a silent zero.
  [ -n "$rps" ] || { echo "0 0 0 1"; return; }
  echo "$rps ${p50:-0} ${p99:-0} ${bad:-0}"
}
