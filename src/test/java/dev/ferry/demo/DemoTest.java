package dev.ferry.demo;

import dev.ferry.runtime.Balancer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The demo's configuration runs: /api/ goes to demo-1, the rest to demo-2 and demo-3 by wrr 2:1. */
@Timeout(60)
class DemoTest {

    @Test
    void theHttpFrontendRoutesApiToOneBackendAndTheRestToTheOther() throws Exception {
        try (Demo demo = new Demo(); HttpClient http = HttpClient.newHttpClient()) {
            Balancer balancer = new Balancer(demo.config("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"), 1);
            balancer.start();
            try {
                String base = "http://127.0.0.1:" + balancer.address("demo-http").getPort();
                assertThat(get(http, base + "/api/users")).isEqualTo("Hello from demo-1");
                List<String> rest = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    rest.add(get(http, base + "/page/" + i));
                }
                assertThat(rest).containsExactly("Hello from demo-2", "Hello from demo-2", "Hello from demo-3",
                        "Hello from demo-2", "Hello from demo-2", "Hello from demo-3");
            } finally {
                balancer.close();
            }
        }
    }

    private static String get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
                .body().trim();
    }
}
