package dev.ferry.admin;

import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The dashboard's files, served from the jar: {@code /} and {@code /assets/*} from
 * {@code dev/ferry/admin/dashboard/}, {@code /webjars/*} from {@code META-INF/resources/webjars/} (libraries bundled
 * from Maven Central at build time; nothing is fetched from the internet). Files are read once and cached.
 */
final class StaticAssets {
    private static final String DASHBOARD = "dev/ferry/admin/dashboard/";
    private static final String WEBJARS = "META-INF/resources/webjars/";
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8", "svg", "image/svg+xml", "png", "image/png",
            "ico", "image/x-icon", "json", "application/json", "map", "application/json");

    private final Map<String, Optional<AdminResponse>> cache = new ConcurrentHashMap<>();

    /** The file for a request path, or empty when there is none. */
    Optional<AdminResponse> get(String path) {
        if (path.contains("..")) {
            return Optional.empty();
        }
        String resource;
        if (path.equals("/") || path.equals("/index.html")) {
            resource = DASHBOARD + "index.html";
        } else if (path.startsWith("/assets/")) {
            resource = DASHBOARD + path.substring("/assets/".length());
        } else if (path.startsWith("/webjars/")) {
            resource = WEBJARS + path.substring("/webjars/".length());
        } else {
            return Optional.empty();
        }
        return cache.computeIfAbsent(resource, StaticAssets::load);
    }

    private static Optional<AdminResponse> load(String resource) {
        try (InputStream in = StaticAssets.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                return Optional.empty();
            }
            String ext = resource.substring(resource.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
            return Optional.of(new AdminResponse(200, TYPES.getOrDefault(ext, "application/octet-stream"),
                    in.readAllBytes()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
