package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads HTTP/1.x message heads strictly (RFC 9112), the way HAProxy and nginx do by default:
 *
 * <ul>
 *   <li>lines end in CRLF (a bare LF is an error); no whitespace between a field name and its colon; no obs-fold;</li>
 *   <li>names are tokens; values hold no control characters but HTAB;</li>
 *   <li>request framing is unambiguous: one {@code Content-Length} of digits, or a {@code Transfer-Encoding} of
 *       exactly {@code chunked} (any case; no {@code Content-Length} with it), which is what Ferry forwards; other
 *       codings are {@code 501} (as nginx), a malformed list {@code 400}; nothing is guessed at (request
 *       smuggling);</li>
 *   <li>a response's {@code Transfer-Encoding} is rewritten to the codings Ferry read it as, one field, so the
 *       client is told the framing Ferry writes (empty list elements and parameters of {@code chunked}
 *       dropped);</li>
 *   <li>a request line over the limit is {@code 414}, a field section over the limit (in bytes or in fields)
 *       {@code 431}.</li>
 * </ul>
 *
 * <p>The head is found in the buffer first (one scan for line ends), then copied once into its own array, which
 * its fields index into ({@link HeadFields}).
 *
 * <p>Threading: stateless.
 */
final class HeadParser {
    /** A head that cannot be read; carries the answer. Cheap: no stack trace. */
    static final class BadMessage extends Exception {
        private final HttpResponseStatus status;

        BadMessage(HttpResponseStatus status, String detail) {
            super(detail, null, false, false);
            this.status = status;
        }

        DecodeFailure failure() {
            return new DecodeFailure(status, getMessage());
        }
    }

    /** RFC 9110 5.6.2 token characters. */
    private static final boolean[] TCHAR = new boolean[256];
    /** Empty lines tolerated before a request line (RFC 9112 2.2). */
    private static final int MAX_LEADING_EMPTY_LINES = 4;

    static {
        for (int c = '0'; c <= '9'; c++) {
            TCHAR[c] = true;
        }
        for (int c = 'a'; c <= 'z'; c++) {
            TCHAR[c] = true;
            TCHAR[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
    }

    private HeadParser() {
    }

    static boolean isToken(CharSequence s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c > 255 || !TCHAR[c]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads a request head from {@code in} when it is complete (advancing the reader index past it), or returns null
     * and consumes nothing when more bytes are needed.
     *
     * @param maxLine   longest request line, in bytes (beyond it 414)
     * @param maxFields most bytes of field lines (beyond it 431)
     * @param maxCount  most field lines (beyond it 431), so the work per head stays bounded whatever its shape
     */
    static RequestHead request(ByteBuf in, int maxLine, int maxFields, int maxCount) throws BadMessage {
        int start = in.readerIndex();
        for (int empty = 0; empty < MAX_LEADING_EMPTY_LINES && in.writerIndex() - start >= 2
                && in.getByte(start) == '\r' && in.getByte(start + 1) == '\n'; empty++) {
            start += 2;
        }
        byte[] h = copyHead(in, start, maxLine, maxFields, maxCount, true);
        if (h == null) {
            return null;
        }
        int lineEnd = indexOfCr(h, 0);
        int sp1 = indexOf(h, 0, lineEnd, (byte) ' ');
        if (sp1 <= 0 || !isToken(h, 0, sp1)) {
            throw bad("malformed request line");
        }
        int sp2 = indexOf(h, sp1 + 1, lineEnd, (byte) ' ');
        if (sp2 < 0 || sp2 == sp1 + 1) {
            throw bad("malformed request line");
        }
        for (int i = sp1 + 1; i < sp2; i++) {
            int c = h[i] & 0xff;
            // Visible ASCII only (RFC 9112 3.2, RFC 3986): bytes above 0x7f are read differently by servers.
            if (c <= ' ' || c >= 0x7f) {
                throw bad("malformed request target");
            }
        }
        HttpVersion version = version(h, sp2 + 1, lineEnd);
        if (version == null) {
            throw bad("malformed request line");
        }
        HeadFields fields = fields(h, lineEnd + 2);
        HttpMethod method = method(h, sp1);
        int te = fields.indexOf("transfer-encoding", 0);
        int cl = fields.indexOf("content-length", 0);
        if (te >= 0) {
            if (cl >= 0) {
                throw bad("both Content-Length and Transfer-Encoding");
            }
            if (version.minorVersion() == 0) {
                throw bad("Transfer-Encoding in an HTTP/1.0 request");
            }
            requireChunkedOnly(fields);
            return new RequestHead(h, method, sp1 + 1, sp2, version, fields, -1, true);
        }
        long length = cl < 0 ? 0 : contentLength(fields, cl);
        if (length < 0) {
            throw bad("invalid Content-Length");
        }
        if (cl >= 0 && length > 0 && fields.value(cl).charAt(0) == '0') {
            // Leading zeros are valid but some servers read them as octal: forwarded as the number Ferry read.
            fields.set("content-length", Long.toString(length));
        }
        return new RequestHead(h, method, sp1 + 1, sp2, version, fields, length, false);
    }

    /**
     * Reads a response head from {@code in} when it is complete, or returns null when more bytes are needed.
     *
     * @param headRequest whether the response answers a HEAD request (then it has no body, whatever it says)
     */
    static ResponseHead response(ByteBuf in, int maxLine, int maxFields, boolean headRequest) throws BadMessage {
        byte[] h = copyHead(in, in.readerIndex(), maxLine, maxFields, Integer.MAX_VALUE, false);
        if (h == null) {
            return null;
        }
        int lineEnd = indexOfCr(h, 0);
        HttpVersion version = lineEnd >= 12 && h[8] == ' ' ? version(h, 0, 8) : null;
        if (version == null || !isDigit(h[9]) || !isDigit(h[10]) || !isDigit(h[11])
                || (lineEnd > 12 && h[12] != ' ')) {
            throw bad("malformed status line");
        }
        for (int i = 12; i < lineEnd; i++) {
            if (!isFieldByte(h[i] & 0xff)) {
                throw bad("malformed status line");
            }
        }
        int code = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
        if (code < 100 || code > 599) {
            // RFC 9110 15: codes outside 100..599 are invalid (a client would take them as 5xx).
            throw bad("malformed status code");
        }
        HeadFields fields = fields(h, lineEnd + 2);
        if (headRequest || code < 200 || code == 204 || code == 304) {
            return new ResponseHead(h, lineEnd + 2, version, code, fields, ResponseHead.Framing.NONE, 0);
        }
        if (fields.indexOf("transfer-encoding", 0) >= 0) {
            // RFC 9112 6.3: Transfer-Encoding overrides Content-Length, which must not be forwarded with it; and
            // where the message ends is then doubtful (so is it with Transfer-Encoding from HTTP/1.0): the server
            // connection is closed after it.
            boolean faulty = fields.indexOf("content-length", 0) >= 0 || version == HttpVersion.HTTP_1_0;
            fields.remove("content-length");
            ResponseHead.Framing f = responseCodings(fields) ? ResponseHead.Framing.CHUNKED
                    : ResponseHead.Framing.UNTIL_CLOSE;
            return new ResponseHead(h, lineEnd + 2, version, code, fields, f, -1, faulty);
        }
        int cl = fields.indexOf("content-length", 0);
        if (cl < 0) {
            return new ResponseHead(h, lineEnd + 2, version, code, fields, ResponseHead.Framing.UNTIL_CLOSE, -1);
        }
        long length = contentLength(fields, cl);
        if (length < 0) {
            throw bad("invalid Content-Length");
        }
        return new ResponseHead(h, lineEnd + 2, version, code, fields,
                length == 0 ? ResponseHead.Framing.NONE : ResponseHead.Framing.LENGTH, length);
    }

    /**
     * Reads the trailer section after a last chunk: field lines up to an empty line. Returns the fields, or null
     * when more bytes are needed.
     */
    static HeadFields trailers(ByteBuf in, int maxFields) throws BadMessage {
        int start = in.readerIndex();
        int w = in.writerIndex();
        int lineStart = start;
        while (true) {
            int lf = in.indexOf(lineStart, w, (byte) '\n');
            if (lf < 0) {
                if (w - start > maxFields) {
                    throw bad("trailer fields too large");
                }
                return null;
            }
            if (lf == lineStart || in.getByte(lf - 1) != '\r') {
                throw bad("line ending without CR");
            }
            if (lf - 1 == lineStart) {
                byte[] h = new byte[lf + 1 - start];
                in.getBytes(start, h);
                in.readerIndex(lf + 1);
                return fields(h, 0);
            }
            lineStart = lf + 1;
        }
    }

    /**
     * Finds a whole head starting at {@code start} (a start line and field lines up to an empty line), checks its line
     * endings and limits, and copies it out; null when it is not complete yet.
     *
     * @param maxCount most field lines
     * @param request  whether the head is a request's (414 and 431 over the limits) or a response's
     */
    private static byte[] copyHead(ByteBuf in, int start, int maxLine, int maxFields, int maxCount, boolean request)
            throws BadMessage {
        int w = in.writerIndex();
        int lineStart = start;
        int fieldsStart = -1;
        int fieldLines = 0;
        while (true) {
            int lf = in.indexOf(lineStart, w, (byte) '\n');
            if (lf < 0) {
                if (fieldsStart < 0 ? w - start > maxLine + 1 : w - fieldsStart > maxFields + 1) {
                    throw fieldsStart < 0 ? lineTooLong(request, maxLine) : fieldsTooLarge(request, maxFields);
                }
                return null;
            }
            // The limits first, as when the line is still incomplete (above): how the bytes were split into reads
            // must not decide between a line too long and a line ending without CR.
            if (fieldsStart < 0 ? lf - start > maxLine + 1 : lf + 1 - fieldsStart > maxFields + 2) {
                throw fieldsStart < 0 ? lineTooLong(request, maxLine) : fieldsTooLarge(request, maxFields);
            }
            if (lf == lineStart || in.getByte(lf - 1) != '\r') {
                throw bad("line ending without CR");
            }
            if (fieldsStart < 0) {
                if (lf - 1 == start) {
                    throw bad("empty start line");
                }
                fieldsStart = lf + 1;
            } else {
                if (lf - 1 == lineStart) {
                    byte[] h = new byte[lf + 1 - start];
                    in.getBytes(start, h);
                    in.readerIndex(lf + 1);
                    return h;
                }
                if (++fieldLines > maxCount) {
                    throw tooManyFields(request, maxCount);
                }
            }
            lineStart = lf + 1;
        }
    }

    private static BadMessage tooManyFields(boolean request, int maxCount) {
        return new BadMessage(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, request
                ? "more than " + maxCount + " header fields" : "too many response header fields");
    }

    // The messages are made only when thrown: copyHead runs for every message.
    private static BadMessage lineTooLong(boolean request, int maxLine) {
        return request
                ? new BadMessage(HttpResponseStatus.REQUEST_URI_TOO_LONG,
                        "the request line is longer than " + maxLine + " bytes")
                : new BadMessage(HttpResponseStatus.BAD_GATEWAY, "status line too long");
    }

    private static BadMessage fieldsTooLarge(boolean request, int maxFields) {
        return new BadMessage(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, request
                ? "the header fields are larger than " + maxFields + " bytes" : "response header fields too large");
    }

    /** The field lines of {@code h} from {@code pos} up to the empty line (line endings already checked). */
    private static HeadFields fields(byte[] h, int pos) throws BadMessage {
        int lines = 0;
        for (int i = pos; i < h.length; i++) {
            if (h[i] == '\n') {
                lines++;
            }
        }
        HeadFields fields = new HeadFields(h, lines - 1);
        while (true) {
            int cr = indexOfCr(h, pos);
            if (cr == pos) {
                return fields;
            }
            int first = h[pos] & 0xff;
            if (first == ' ' || first == '\t') {
                throw bad("obsolete line folding");
            }
            int colon = pos;
            while (colon < cr && TCHAR[h[colon] & 0xff]) {
                colon++;
            }
            if (colon == pos || colon == cr || h[colon] != ':') {
                throw bad("malformed header field");
            }
            int vs = colon + 1;
            while (vs < cr && (h[vs] == ' ' || h[vs] == '\t')) {
                vs++;
            }
            int ve = cr;
            while (ve > vs && (h[ve - 1] == ' ' || h[ve - 1] == '\t')) {
                ve--;
            }
            for (int i = vs; i < ve; i++) {
                if (!isFieldByte(h[i] & 0xff)) {
                    throw bad("invalid character in a header value");
                }
            }
            fields.addReceived(pos, colon, vs, ve, cr + 2);
            pos = cr + 2;
        }
    }

    /**
     * Checks that a request's Transfer-Encoding is exactly {@code chunked} (any case, one field, surrounding
     * whitespace allowed), and makes the field say {@code chunked} as Ferry writes it. A list that breaks RFC 9112's
     * rules (empty elements, a coding that is not a token, {@code chunked} with parameters, not last or twice) is
     * {@code 400}; a well-formed list of other codings {@code 501}: Ferry would have to forward codings it does not
     * apply, and servers read such lists differently (request smuggling).
     */
    private static void requireChunkedOnly(HeadFields fields) throws BadMessage {
        int te = fields.indexOf("transfer-encoding", 0);
        if (fields.indexOf("transfer-encoding", te + 1) < 0 && fields.valueIsIgnoreCase(te, "chunked")) {
            if (!fields.valueIs(te, "chunked")) {
                fields.set("transfer-encoding", "chunked");
            }
            return;
        }
        List<String> codings = new ArrayList<>(4);
        for (String value : fields.getAll("transfer-encoding")) {
            for (String element : value.split(",", -1)) {
                String coding = element.trim();
                int semicolon = coding.indexOf(';');
                String name = (semicolon < 0 ? coding : coding.substring(0, semicolon)).trim();
                if (!isToken(name)) {
                    throw bad("malformed Transfer-Encoding");
                }
                if (name.equalsIgnoreCase("chunked") && semicolon >= 0) {
                    throw bad("malformed Transfer-Encoding: chunked takes no parameters");
                }
                codings.add(name);
            }
        }
        int chunked = 0;
        for (String name : codings) {
            if (name.equalsIgnoreCase("chunked")) {
                chunked++;
            }
        }
        if (chunked > 1 || (chunked == 1 && !codings.getLast().equalsIgnoreCase("chunked"))) {
            throw bad("malformed Transfer-Encoding: chunked must be the last coding, once");
        }
        throw new BadMessage(HttpResponseStatus.NOT_IMPLEMENTED,
                "Transfer-Encoding " + String.join(", ", codings) + " is not supported; only chunked is");
    }

    /**
     * Reads a response's Transfer-Encoding: whether its codings end in {@code chunked} (applied once), the framing
     * Ferry then reads. Rewrites the fields to one field listing the codings as read (empty elements and parameters of
     * {@code chunked} dropped), so what the client is told matches what Ferry writes. Throws on a malformed list.
     */
    private static boolean responseCodings(HeadFields fields) throws BadMessage {
        List<String> values = fields.getAll("transfer-encoding");
        StringBuilder canonical = new StringBuilder(16);
        String last = null;
        int chunked = 0;
        for (String value : values) {
            for (String element : value.split(",", -1)) {
                String coding = element.trim();
                int semicolon = coding.indexOf(';');
                String name = (semicolon < 0 ? coding : coding.substring(0, semicolon)).trim();
                if (name.isEmpty() && semicolon < 0) {
                    continue;
                }
                if (!isToken(name)) {
                    throw bad("malformed Transfer-Encoding");
                }
                boolean isChunked = name.equalsIgnoreCase("chunked");
                if (isChunked) {
                    chunked++;
                }
                if (!canonical.isEmpty()) {
                    canonical.append(", ");
                }
                canonical.append(isChunked ? "chunked" : coding);
                last = name;
            }
        }
        String written = canonical.toString();
        if (values.size() != 1 || !values.getFirst().equals(written)) {
            if (written.isEmpty()) {
                fields.remove("transfer-encoding");
            } else {
                fields.set("transfer-encoding", written);
            }
        }
        return chunked == 1 && "chunked".equalsIgnoreCase(last);
    }

    /** The Content-Length at field {@code cl}: digits only, one field; -1 when invalid. */
    private static long contentLength(HeadFields fields, int cl) {
        if (fields.indexOf("content-length", cl + 1) >= 0) {
            return -1;
        }
        return fields.digitsValue(cl);
    }

    private static HttpVersion version(byte[] h, int from, int to) {
        if (to - from != 8 || h[from] != 'H' || h[from + 1] != 'T' || h[from + 2] != 'T' || h[from + 3] != 'P'
                || h[from + 4] != '/' || !isDigit(h[from + 5]) || h[from + 6] != '.' || !isDigit(h[from + 7])) {
            return null;
        }
        int major = h[from + 5] - '0';
        int minor = h[from + 7] - '0';
        if (major == 1 && minor == 1) {
            return HttpVersion.HTTP_1_1;
        }
        if (major == 1 && minor == 0) {
            return HttpVersion.HTTP_1_0;
        }
        return new HttpVersion("HTTP", major, minor, true);
    }

    private static HttpMethod method(byte[] h, int end) {
        switch (end) {
            case 3 -> {
                if (h[0] == 'G' && h[1] == 'E' && h[2] == 'T') {
                    return HttpMethod.GET;
                }
                if (h[0] == 'P' && h[1] == 'U' && h[2] == 'T') {
                    return HttpMethod.PUT;
                }
            }
            case 4 -> {
                if (h[0] == 'P' && h[1] == 'O' && h[2] == 'S' && h[3] == 'T') {
                    return HttpMethod.POST;
                }
                if (h[0] == 'H' && h[1] == 'E' && h[2] == 'A' && h[3] == 'D') {
                    return HttpMethod.HEAD;
                }
            }
            default -> {
            }
        }
        return HttpMethod.valueOf(new String(h, 0, end, java.nio.charset.StandardCharsets.US_ASCII));
    }

    private static boolean isToken(byte[] h, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!TCHAR[h[i] & 0xff]) {
                return false;
            }
        }
        return true;
    }

    /** HTAB, SP, visible ASCII and obs-text (RFC 9110 5.5). */
    private static boolean isFieldByte(int c) {
        return c == '\t' || (c >= ' ' && c != 0x7f);
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    private static int indexOf(byte[] h, int from, int to, byte b) {
        for (int i = from; i < to; i++) {
            if (h[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /** Index of the CR of the line starting at {@code from} (every line of a copied head ends in CRLF). */
    private static int indexOfCr(byte[] h, int from) {
        int i = from;
        while (h[i] != '\n') {
            i++;
        }
        return i - 1;
    }

    private static BadMessage bad(String detail) {
        return new BadMessage(HttpResponseStatus.BAD_REQUEST, detail);
    }
}
