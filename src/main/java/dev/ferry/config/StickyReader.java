package dev.ferry.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the persistence blocks: a backend's {@code sticky:} ({@link StickyConfig}) and {@code stick:}
 * ({@link StickConfig}), and a tcp or udp frontend's {@code persistence:} ({@link PersistenceConfig}).
 */
final class StickyReader {
    static final List<String> STICKY_KEYS = List.of("cookie", "mode", "max_age", "idle", "httponly", "secure",
            "samesite", "path", "domain", "secret_file");
    static final List<String> STICK_KEYS = List.of("on", "expire", "size");
    static final List<String> PERSISTENCE_KEYS = List.of("timeout", "netmask", "netmask6");
    private static final Map<String, StickyConfig.Mode> MODES = YamlMap.choicesOf(StickyConfig.Mode.class);
    private static final Map<String, StickyConfig.SameSite> SAME_SITES =
            YamlMap.choicesOf(StickyConfig.SameSite.class);
    private static final String STICK_ON = "source_ip, header:NAME, cookie:NAME";
    private static final Duration ONE_SECOND = Duration.ofSeconds(1);
    private static final List<String> INSERT_ONLY = List.of("max_age", "idle", "httponly", "secure", "samesite",
            "path", "domain");

    private final Paths paths;

    StickyReader(Paths paths) {
        this.paths = paths;
    }

    Optional<StickyConfig> sticky(YamlMap b) {
        return b.map("sticky", STICKY_KEYS).map(this::readSticky);
    }

    Optional<StickConfig> stick(YamlMap b) {
        return b.map("stick", STICK_KEYS).map(StickyReader::readStick);
    }

    static Optional<PersistenceConfig> persistence(YamlMap f) {
        return f.map("persistence", PERSISTENCE_KEYS).map(StickyReader::readPersistence);
    }

    private StickyConfig readSticky(YamlMap s) {
        String cookie = s.text("cookie", "a cookie name such as SRV").filter(name -> {
            Optional<String> problem = cookieNameProblem(name);
            problem.ifPresent(p -> s.problem("cookie", p));
            return problem.isEmpty();
        }).orElse(null);
        if (!s.has("cookie")) {
            s.missing("cookie", "sticky needs the name of its cookie, e.g. sticky: { cookie: SRV }");
        }
        StickyConfig.Mode mode = s.choice("mode", MODES).orElse(StickyConfig.Mode.INSERT);
        Duration maxAge = wholeSeconds(s, "max_age");
        Duration idle = wholeSeconds(s, "idle");
        boolean httponly = s.bool("httponly", true);
        boolean secure = s.bool("secure", false);
        Optional<StickyConfig.SameSite> samesite = s.choice("samesite", SAME_SITES);
        if (samesite.orElse(null) == StickyConfig.SameSite.NONE && !secure) {
            s.problem("samesite", "browsers drop a SameSite=None cookie that is not Secure; add secure: true or "
                    + "choose strict or lax");
        }
        String path = s.text("path", "a cookie path such as /").orElse(StickyConfig.DEFAULT_PATH);
        if (!path.startsWith("/") || !attributeValue(path)) {
            s.problem("path", "'" + path + "' is not a cookie path; it must start with '/' and hold no ';', spaces "
                    + "or control characters");
        }
        Optional<String> domain = s.text("domain", "a domain such as example.com");
        domain.filter(d -> d.isEmpty() || !attributeValue(d)).ifPresent(d -> s.problem("domain", "'" + d
                + "' is not a cookie domain; it holds no ';', spaces or control characters"));
        if (mode != StickyConfig.Mode.INSERT && s.has("mode")) {
            for (String key : INSERT_ONLY) {
                if (s.has(key)) {
                    s.problem(key, key + " applies only to mode: insert, where Ferry writes the cookie; in mode: "
                            + mode.key() + " the server writes it");
                }
            }
        }
        Optional<Path> secretFile = s.parsed("secret_file", "a file name", paths::resolve);
        secretFile.ifPresent(file -> secretProblem(file).ifPresent(p -> s.problem("secret_file", p)));
        return new StickyConfig(cookie, mode, maxAge, idle, httponly, secure, samesite, path, domain, secretFile);
    }

    /** A cookie time: whole seconds, 0 (the default) for no limit. */
    private static Duration wholeSeconds(YamlMap s, String key) {
        Duration d = s.duration(key, Duration.ZERO, Duration.ZERO);
        if (d.toMillis() % 1000 != 0) {
            s.problem(key, Durations.format(d) + " is not allowed; the cookie keeps whole seconds (1s or more, or 0 "
                    + "for no limit)");
            return Duration.ZERO;
        }
        return d;
    }

    /** Why {@code file} cannot serve as the signing key, or empty when it can. */
    static Optional<String> secretProblem(Path file) {
        try {
            byte[] secret = Files.readAllBytes(file);
            if (new String(secret, java.nio.charset.StandardCharsets.ISO_8859_1).strip().length()
                    < StickyConfig.MIN_SECRET_BYTES) {
                return Optional.of("the secret in " + file + " is too short; it needs at least "
                        + StickyConfig.MIN_SECRET_BYTES + " bytes (e.g. head -c 32 /dev/urandom | base64 > " + file
                        + ")");
            }
            return Optional.empty();
        } catch (IOException | SecurityException e) {
            return Optional.of("cannot read " + file + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        }
    }

    private static StickConfig readStick(YamlMap s) {
        String on = s.text("on", "a key such as " + STICK_ON).flatMap(text -> {
            Optional<HashKey> key = stickKey(text);
            if (key.isEmpty()) {
                String why = HashKey.problem(text).map(p -> p.replace("hash_key", "stick key"))
                        .filter(p -> !p.startsWith("unknown")).orElse("'" + text + "' is not a stick key");
                s.problem("on", why + "; allowed: " + STICK_ON);
            }
            return key.map(k -> text);
        }).orElse(null);
        if (!s.has("on")) {
            s.missing("on", "stick needs what to key requests by: " + STICK_ON);
        }
        Duration expire = s.duration("expire", StickConfig.DEFAULT_EXPIRE, ONE_SECOND);
        int size = s.integer("size", StickConfig.DEFAULT_SIZE, 1, StickConfig.MAX_SIZE);
        return new StickConfig(on, expire, size);
    }

    private static Optional<HashKey> stickKey(String text) {
        if (HashKey.problem(text).isPresent()) {
            return Optional.empty();
        }
        HashKey key = HashKey.parse(text);
        return switch (key.kind()) {
            case SOURCE_IP, HEADER, COOKIE -> Optional.of(key);
            case SOURCE_IP_PORT, URI -> Optional.empty();
        };
    }

    private static PersistenceConfig readPersistence(YamlMap p) {
        Duration timeout = p.duration("timeout", PersistenceConfig.DEFAULT_TIMEOUT, ONE_SECOND);
        int netmask = p.text("netmask", "a prefix length such as 24").flatMap(text -> {
            if (text.matches("[0-9]{1,2}") && Integer.parseInt(text) <= 32) {
                return Optional.of(Integer.parseInt(text));
            }
            // The director's form, a dotted-quad mask, is taken too.
            Optional<Integer> mask = DirectorReader.netmask(text).map(Integer::bitCount);
            if (mask.isEmpty()) {
                p.problem("netmask", "'" + text + "' is not an IPv4 netmask; allowed: a prefix length 0..32 (24 "
                        + "groups a /24's clients) or a contiguous mask such as 255.255.255.0");
            }
            return mask;
        }).orElse(PersistenceConfig.DEFAULT_NETMASK);
        int netmask6 = p.integer("netmask6", PersistenceConfig.DEFAULT_NETMASK6, 0, 128);
        return new PersistenceConfig(timeout, netmask, netmask6);
    }

    /** RFC 6265 {@code cookie-name} (an RFC 9110 token); empty when {@code name} is one. */
    static Optional<String> cookieNameProblem(String name) {
        if (name.isEmpty()) {
            return Optional.of("the cookie name is empty");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(c < 128 && (Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0))) {
                return Optional.of("'" + c + "' cannot appear in a cookie name (letters, digits and "
                        + "!#$%&'*+-.^_`|~ only)");
            }
        }
        return Optional.empty();
    }

    private static boolean attributeValue(String v) {
        return v.chars().noneMatch(c -> c == ';' || c <= ' ' || c == 127);
    }
}
