package dev.ferry.proxy.http;

import io.netty.handler.codec.DefaultHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * The HTTP/1.1 codecs of both sides, set up strictly: CRLF line endings only, header names and values validated,
 * duplicate {@code Content-Length} rejected, and RFC 9112 transfer-encoding rules (a request with both
 * {@code Transfer-Encoding} and {@code Content-Length}, or a {@code Transfer-Encoding} whose last coding is not
 * {@code chunked}, is a decode failure, never forwarded).
 *
 * <p>Header names are validated as RFC 9110 tokens, except the constant names Ferry itself sets on every message
 * ({@link #TRUSTED_NAMES}, checked by identity): validating those again on each request cost about a tenth of
 * the CPU of a small keep-alive request.
 *
 * <p>Body chunks are slices of what one socket read brought in (up to {@link #MAX_CHUNK}), so bodies stream without
 * copies and without being gathered whole.
 */
final class HttpCodecs {
    /** Largest body slice passed on at once; bigger socket reads are passed on in several slices. */
    static final int MAX_CHUNK = 64 * 1024;
    /** Responses from servers may carry bigger heads than clients may send (cookies, CSP policies). */
    static final int MAX_RESPONSE_HEADER = 64 * 1024;

    /** The names Ferry sets on forwarded messages; known tokens, so not validated again. */
    static final CharSequence[] TRUSTED_NAMES = {
            ForwardingHeaders.X_FORWARDED_FOR, ForwardingHeaders.X_FORWARDED_PROTO, ForwardingHeaders.X_FORWARDED_HOST,
            ForwardingHeaders.FORWARDED, ForwardingHeaders.X_REQUEST_ID, HttpHeaderNames.VIA,
            HttpHeaderNames.CONNECTION, HttpHeaderNames.TRANSFER_ENCODING};
    private static final DefaultHeaders.NameValidator<CharSequence> TOKEN_NAMES =
            DefaultHttpHeadersFactory.headersFactory().getNameValidator();
    private static final DefaultHeaders.NameValidator<CharSequence> NAMES = name -> {
        for (CharSequence trusted : TRUSTED_NAMES) {
            if (trusted == name) {
                return;
            }
        }
        TOKEN_NAMES.validateName(name);
    };

    private HttpCodecs() {
    }

    /**
     * The client side's codec.
     *
     * @param maxRequestLine longest request line ({@code 414 URI Too Long} beyond it)
     * @param maxHeaderSize  most bytes of header fields ({@code 431 Request Header Fields Too Large} beyond it)
     */
    static HttpServerCodec server(int maxRequestLine, int maxHeaderSize) {
        return new HttpServerCodec(strict().setMaxInitialLineLength(maxRequestLine).setMaxHeaderSize(maxHeaderSize));
    }

    /** The server side's codec; tracks request methods so HEAD responses are read without a body. */
    static HttpClientCodec client() {
        return new HttpClientCodec(strict().setMaxInitialLineLength(8 * 1024).setMaxHeaderSize(MAX_RESPONSE_HEADER),
                false, false);
    }

    private static HttpDecoderConfig strict() {
        return new HttpDecoderConfig()
                .setMaxChunkSize(MAX_CHUNK)
                // After any setValidateHeaders (which would replace it): names and values validated, see NAMES.
                .setHeadersFactory(DefaultHttpHeadersFactory.headersFactory().withNameValidator(NAMES))
                .setAllowDuplicateContentLengths(false)
                .setStrictLineParsing(true)
                .setUseRfc9112TransferEncoding(true);
    }
}
