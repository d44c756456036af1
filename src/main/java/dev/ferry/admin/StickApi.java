package dev.ferry.admin;

import dev.ferry.backend.Backend;
import dev.ferry.backend.StickTable;
import dev.ferry.proxy.ClientPersistence;
import dev.ferry.proxy.Frontend;
import dev.ferry.proxy.tcp.TcpFrontend;
import dev.ferry.proxy.udp.UdpFrontend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The admin API's persistence tables: a backend's stick table ({@code GET} lists it, {@code DELETE} clears it or,
 * with {@code ?key=K}, one entry) and a tcp or udp frontend's layer-4 persistence templates ({@code GET}). Listings
 * hold at most {@code ?limit=N} entries (default {@value AdminApi#DEFAULT_CONNECTION_LIMIT}).
 *
 * <p>Threading: the admin thread; the tables are concurrent.
 */
final class StickApi {
    private static final Logger log = LoggerFactory.getLogger(AdminApi.class);

    private StickApi() {
    }

    static Map<String, Object> list(Backend backend, Map<String, List<String>> query) throws AdminException {
        StickTable table = table(backend);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("backend", backend.name());
        body.put("on", table.config().on());
        body.put("size", table.config().size());
        body.put("expire_ms", table.config().expire().toMillis());
        List<StickTable.View> entries = table.list(limit(query));
        body.put("total", table.size());
        body.put("entries", entries);
        return body;
    }

    static Map<String, Object> clear(Backend backend, Map<String, List<String>> query, String client)
            throws AdminException {
        StickTable table = table(backend);
        List<String> keys = query.getOrDefault("key", List.of());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("backend", backend.name());
        if (keys.isEmpty()) {
            int n = table.clear();
            log.info("admin {}: backend '{}': cleared the stick table ({} entries)", client, backend.name(), n);
            body.put("cleared", n);
            return body;
        }
        int n = 0;
        for (String key : keys) {
            if (table.clear(key)) {
                n++;
            }
        }
        log.info("admin {}: backend '{}': cleared {} stick table entr{} of {}", client, backend.name(), n,
                n == 1 ? "y" : "ies", keys);
        body.put("cleared", n);
        return body;
    }

    static Map<String, Object> templates(Frontend frontend, Map<String, List<String>> query) throws AdminException {
        ClientPersistence p = frontend instanceof TcpFrontend t ? t.persistence()
                : frontend instanceof UdpFrontend u ? u.persistence() : null;
        if (p == null) {
            throw new AdminException(404, "no persistence", "frontend '" + frontend.name() + "' has no "
                    + "persistence: (tcp and udp frontends only)");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("frontend", frontend.name());
        body.put("timeout_ms", p.config().timeout().toMillis());
        body.put("netmask", p.config().netmask());
        body.put("netmask6", p.config().netmask6());
        body.put("total", p.size());
        body.put("templates", p.list(limit(query)));
        return body;
    }

    private static StickTable table(Backend backend) throws AdminException {
        return backend.affinity().table().orElseThrow(() -> new AdminException(404, "no stick table",
                "backend '" + backend.name() + "' has no stick: table"));
    }

    private static int limit(Map<String, List<String>> query) throws AdminException {
        List<String> asked = query.getOrDefault("limit", List.of());
        if (asked.isEmpty()) {
            return AdminApi.DEFAULT_CONNECTION_LIMIT;
        }
        int limit;
        try {
            limit = Integer.parseInt(asked.get(0));
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > AdminApi.MAX_CONNECTION_LIMIT) {
            throw new AdminException(400, "bad limit", "limit must be a whole number in 1.."
                    + AdminApi.MAX_CONNECTION_LIMIT + ", got '" + asked.get(0) + "'");
        }
        return limit;
    }
}
