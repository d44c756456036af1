package dev.ferry.proxy.http;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * What a {@link MessageDecoder} passes on instead of a message it cannot read: the answer the client should get
 * (for a request) and why. Nothing after it on that connection is decoded.
 */
record DecodeFailure(HttpResponseStatus status, String detail) {
}
