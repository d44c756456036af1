package dev.ferry.admin;

import java.nio.charset.StandardCharsets;

/** What the admin server sends back: a status, a content type and a body. */
public record AdminResponse(int status, String contentType, byte[] body) {
    static final String JSON = "application/json";

    static AdminResponse json(int status, byte[] body) {
        return new AdminResponse(status, JSON, body);
    }

    static AdminResponse text(int status, String contentType, String body) {
        return new AdminResponse(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }
}
