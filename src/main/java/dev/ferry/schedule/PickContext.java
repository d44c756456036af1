package dev.ferry.schedule;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * What a scheduler knows about the connection or request it places.
 *
 * @param client      the client's address (after a PROXY header, the original client); may be null in tests
 * @param destination the address the client connected to (layer 4: the frontend's address; used by dh, lblc, lblcr);
 *                    may be null
 * @param hashKey     the precomputed 64-bit key for hashing schedulers (source IP, URI, header, ...)
 * @param avoid       servers already tried for this connection: never returned
 * @param attempt     0 for the first try, 1 for the first retry, ...
 */
public record PickContext(InetSocketAddress client, InetSocketAddress destination, long hashKey, List<Member> avoid,
                          int attempt) {
    public static final PickContext EMPTY = new PickContext(null, null, 0, List.of(), 0);

    public PickContext {
        avoid = List.copyOf(avoid);
    }

    public boolean avoids(Member server) {
        // Retries are few (the backend's `retries`), so a list beats a set here.
        for (int i = 0, n = avoid.size(); i < n; i++) {
            if (avoid.get(i) == server) {
                return true;
            }
        }
        return false;
    }

    /** The same request, one attempt later, with {@code tried} added to the servers to avoid. */
    public PickContext retryAvoiding(Member tried) {
        Member[] next = avoid.toArray(new Member[avoid.size() + 1]);
        next[avoid.size()] = tried;
        return new PickContext(client, destination, hashKey, List.of(next), attempt + 1);
    }
}
