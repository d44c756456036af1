# Sourced by ./ferry and ./run-tests: finds a JDK >= 25 (the FFM API of the director) and Maven, or says exactly what to install.
# Order: $JAVA_HOME, then the java on PATH, then the newest JDK under /usr/lib/jvm.

ferry_java_major() { # $1 = path to a java binary; prints its feature version or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

ferry_find_jdk() {
  local candidates=() c major
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1 && command -v javac >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
  fi
  if [ -d /usr/lib/jvm ]; then
    while IFS= read -r c; do candidates+=("$c"); done < <(ls -d /usr/lib/jvm/*/ 2>/dev/null | sed 's:/$::' | sort -rV)
  fi
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    major=$(ferry_java_major "$c/bin/java")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      FERRY_JDK="$c"
      FERRY_JDK_MAJOR="$major"
      return 0
    fi
  done
  cat >&2 <<'MSG'
ferry: no JDK 25 or newer was found (looked at $JAVA_HOME, the java on PATH and /usr/lib/jvm).
       Install one (Ferry needs Java 25, the current LTS), e.g. on Debian/Ubuntu:
         apt-get install openjdk-25-jdk-headless      (or Temurin 25, or any JDK >= 25)
       or point JAVA_HOME at one.
MSG
  return 1
}

ferry_find_maven() {
  if command -v mvn >/dev/null 2>&1; then FERRY_MVN=$(command -v mvn); return 0; fi
  cat >&2 <<'MSG'
ferry: Maven was not found on PATH; it is needed to build Ferry.
       Install it, e.g. on Debian/Ubuntu:  apt-get install maven
MSG
  return 1
}
