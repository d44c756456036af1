package dev.ferry.config;

import dev.ferry.config.HealthCheckConfig.HttpCheck;
import dev.ferry.config.HealthCheckConfig.StatusRange;
import dev.ferry.config.HealthCheckConfig.TcpCheck;

import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a backend's {@code health_check:} into a {@link HealthCheckConfig}, filling the defaults. */
final class HealthCheckReader {
    static final List<String> KEYS = List.of("type", "path", "method", "host", "expect_status", "expect_body",
            "interval", "timeout", "rise", "fall", "check_port", "send", "send_binary", "expect", "expect_binary",
            "service");
    static final String DEFAULT_PATH = HttpCheck.DEFAULTS.path();
    static final String DEFAULT_METHOD = HttpCheck.DEFAULTS.method();
    static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
    static final int DEFAULT_RISE = 2;
    static final int DEFAULT_FALL = 3;
    private static final List<String> HTTP_ONLY = List.of("path", "method", "host", "expect_status", "expect_body");
    private static final List<String> TCP_ONLY = List.of("send", "send_binary", "expect", "expect_binary");
    private static final List<String> GRPC_ONLY = List.of("service");
    /** The longest gRPC service name: a name, not a payload (it goes in the check's one small message). */
    static final int MAX_SERVICE_BYTES = 1024;
    /** The longest {@code send}/{@code expect}: a probe, not a transfer (the reply is looked at up to 16 KiB). */
    static final int MAX_CHECK_BYTES = 4096;
    private static final Map<String, HealthCheckConfig.Type> TYPES = YamlMap.choicesOf(HealthCheckConfig.Type.class);
    private static final Pattern STATUS_RANGE = Pattern.compile("([0-9]{3})(?:\\s*-\\s*([0-9]{3}))?");
    private static final Pattern METHOD = Pattern.compile("[A-Za-z]+");
    private static final Pattern HEX = Pattern.compile("[0-9A-Fa-f]*");
    private static final Duration POSITIVE = Duration.ofMillis(1);

    private HealthCheckReader() {
    }

    static HealthCheckConfig read(YamlMap h) {
        Optional<HealthCheckConfig.Type> chosen = h.choice("type", TYPES);
        HealthCheckConfig.Type type = chosen.orElse(HealthCheckConfig.Type.TCP);
        boolean typeKnown = chosen.isPresent() || !h.has("type");
        if (typeKnown) {
            onlyFor(h, type, HealthCheckConfig.Type.HTTP, HTTP_ONLY);
            onlyFor(h, type, HealthCheckConfig.Type.TCP, TCP_ONLY);
            onlyFor(h, type, HealthCheckConfig.Type.GRPC, GRPC_ONLY);
        }
        String path = h.text("path", "a path such as /healthz").orElse(DEFAULT_PATH);
        if (!path.startsWith("/")) {
            h.problem("path", "'" + path + "' is not a path; paths start with '/'");
        }
        String method = h.text("method", "a method name such as GET").orElse(DEFAULT_METHOD);
        if (!METHOD.matcher(method).matches()) {
            h.problem("method", "'" + method + "' is not an HTTP method name; write e.g. GET or HEAD");
        }
        Optional<String> host = h.text("host", "a Host header value");
        StatusRange expectStatus = h.text("expect_status", "a status range such as 200-399")
                .flatMap(text -> statusRange(h, text)).orElse(StatusRange.DEFAULT);
        Optional<String> expectBody = h.text("expect_body", "text the body must contain");
        Duration interval = h.duration("interval", DEFAULT_INTERVAL, POSITIVE);
        Duration timeout = h.duration("timeout", DEFAULT_TIMEOUT, POSITIVE);
        int rise = h.integer("rise", DEFAULT_RISE, 1, Integer.MAX_VALUE);
        int fall = h.integer("fall", DEFAULT_FALL, 1, Integer.MAX_VALUE);
        Optional<Integer> checkPort = h.integer("check_port", 1, 65535);
        Optional<CheckBytes> send = bytes(h, "send", "send_binary");
        Optional<CheckBytes> expect = bytes(h, "expect", "expect_binary");
        String service = h.text("service", "a gRPC service name such as grpc.health.v1.Health, or \"\"")
                .orElse(HealthCheckConfig.GrpcCheck.DEFAULTS.service());
        if (service.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_SERVICE_BYTES) {
            h.problem("service", "the service name is longer than " + MAX_SERVICE_BYTES + " bytes");
        }
        // Every key was read above whatever the type, so that a misplaced one is also checked for what it says.
        HealthCheckConfig.Probe probe = switch (type) {
            case TCP -> new TcpCheck(send, expect);
            case HTTP -> new HttpCheck(path, method.toUpperCase(Locale.ROOT), host, expectStatus, expectBody);
            case GRPC -> new HealthCheckConfig.GrpcCheck(service);
            case AGENT, REDIS, PGSQL, MYSQL -> type.defaults();
        };
        return new HealthCheckConfig(probe, interval, timeout, rise, fall, checkPort);
    }

    private static void onlyFor(YamlMap h, HealthCheckConfig.Type type, HealthCheckConfig.Type owner,
                                List<String> keys) {
        if (type == owner) {
            return;
        }
        for (String key : keys) {
            if (h.has(key)) {
                h.problem(key, key + " applies only to type " + owner.name().toLowerCase(Locale.ROOT)
                        + "; this check is type " + type.name().toLowerCase(Locale.ROOT));
            }
        }
    }

    /** {@code textKey} (text, UTF-8; YAML's double quotes give \r\n) or {@code hexKey} (hex digits), not both. */
    private static Optional<CheckBytes> bytes(YamlMap h, String textKey, String hexKey) {
        if (h.has(textKey) && h.has(hexKey)) {
            h.problem(hexKey, "give " + textKey + " (text) or " + hexKey + " (hex digits), not both");
            return Optional.empty();
        }
        Optional<CheckBytes> value = h.text(textKey, "text such as \"PING\\r\\n\" (double quotes for escapes)")
                .map(CheckBytes::ofText);
        if (value.isEmpty()) {
            value = h.text(hexKey, "hex digits such as 50494e470d0a").flatMap(text -> hex(h, hexKey, text));
        }
        String key = h.has(textKey) ? textKey : hexKey;
        if (value.isPresent() && value.get().length() == 0) {
            h.problem(key, key + " is empty; give at least one byte, or leave the key out");
            return Optional.empty();
        }
        if (value.isPresent() && value.get().length() > MAX_CHECK_BYTES) {
            h.problem(key, key + " is " + value.get().length() + " bytes; at most " + MAX_CHECK_BYTES
                    + " are allowed");
            return Optional.empty();
        }
        return value;
    }

    private static Optional<CheckBytes> hex(YamlMap h, String key, String text) {
        String digits = text.replaceAll("\\s+", "");
        if (digits.startsWith("0x") || digits.startsWith("0X")) {
            digits = digits.substring(2);
        }
        if (!HEX.matcher(digits).matches() || digits.length() % 2 != 0) {
            h.problem(key, "'" + text + "' is not hex bytes; write pairs of hex digits such as 2b504f4e47 "
                    + "(spaces between them are allowed)");
            return Optional.empty();
        }
        return Optional.of(new CheckBytes(HexFormat.of().parseHex(digits), false));
    }

    private static Optional<StatusRange> statusRange(YamlMap h, String text) {
        Matcher m = STATUS_RANGE.matcher(text.strip());
        if (m.matches()) {
            int low = Integer.parseInt(m.group(1));
            int high = m.group(2) == null ? low : Integer.parseInt(m.group(2));
            if (low >= 100 && high <= 599 && low <= high) {
                return Optional.of(new StatusRange(low, high));
            }
        }
        h.problem("expect_status", "'" + text + "' is not a status range; write one status (200) or LOW-HIGH "
                + "(200-399) with 100 <= LOW <= HIGH <= 599");
        return Optional.empty();
    }
}
