package dev.ferry.runtime;

import dev.ferry.accesslog.AccessLog;
import dev.ferry.backend.Backend;
import dev.ferry.config.FrontendConfig;
import dev.ferry.config.HttpOptions;
import dev.ferry.config.TcpOptions;
import dev.ferry.config.UdpOptions;
import dev.ferry.proxy.Frontend;
import dev.ferry.proxy.http.HttpFrontend;
import dev.ferry.proxy.tcp.TcpFrontend;
import dev.ferry.proxy.udp.UdpFrontend;
import dev.ferry.transport.TlsTerminator;
import dev.ferry.transport.Transport;

import java.util.Map;
import java.util.Optional;

/**
 * Makes the frontend that serves a frontend's configuration, chosen by the sealed type of its mode's options: the one
 * place that knows which class serves which mode, so a new mode is one more case here (the compiler asks for it) and
 * the balancer never looks at modes. The frontend is made, not started.
 *
 * <p>Threading: any thread; it holds only what every frontend of one balancer shares.
 */
final class FrontendFactory {
    private final Transport transport;
    private final AccessLog accessLog;

    /**
     * @param transport the event loops every frontend runs on
     * @param accessLog where tcp and http frontends report finished connections and requests
     */
    FrontendFactory(Transport transport, AccessLog accessLog) {
        this.transport = transport;
        this.accessLog = accessLog;
    }

    /**
     * @param backends every backend of the configuration by name; the frontend's {@code backend} and its routes'
     *                 backends are among them
     * @param tls      the loaded certificates when the frontend has {@code tls:} (tcp and http only)
     */
    Frontend create(FrontendConfig fc, Map<String, Backend> backends, Optional<TlsTerminator> tls) {
        return switch (fc.options()) {
            case TcpOptions tcp -> new TcpFrontend(fc, backend(fc, backends), transport, accessLog, tls);
            case UdpOptions udp -> new UdpFrontend(fc, backend(fc, backends), transport);
            case HttpOptions http -> new HttpFrontend(fc, backends, transport, accessLog, tls);
        };
    }

    /** The one backend of a tcp or udp frontend (the reader made sure it has one, and that it exists). */
    private static Backend backend(FrontendConfig fc, Map<String, Backend> backends) {
        return backends.get(fc.backend().orElseThrow());
    }
}
