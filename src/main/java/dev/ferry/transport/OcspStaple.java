package dev.ferry.transport;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a certificate's {@code ocsp:} file: a DER OCSP response (RFC 6960) as {@code openssl ocsp -respout} writes
 * it, stapled to every handshake that presents the certificate. It is checked as far as a client would check it
 * short of the signature: a successful basic response, about this certificate (its serial number), not revoked, and
 * not past its {@code nextUpdate}; anything else would make strict clients (must-staple) refuse the handshake, so it
 * is refused at load, naming the file and what to do.
 *
 * <p>Stateless; blocking file reads: call off the event loops.
 */
final class OcspStaple {
    private static final int ENUMERATED = 0x0A;
    private static final int GENERALIZED_TIME = 0x18;
    private static final int OID = 0x06;
    private static final int CONTEXT_0 = 0xA0;
    private static final int GOOD = 0x80;
    private static final int REVOKED = 0xA1;
    /** id-pkix-ocsp-basic, 1.3.6.1.5.5.7.48.1.1, as its DER encoding. */
    private static final byte[] BASIC = {OID, 0x09, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01};
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss");
    private static final String[] STATUS = {"successful", "malformedRequest", "internalError", "tryLater", "4",
            "sigRequired", "unauthorized"};

    private OcspStaple() {
    }

    /**
     * The response bytes of entry {@code index}'s {@code ocsp} file, checked against {@code cert} at {@code now}.
     *
     * @throws TlsFileException at {@code ocsp}, saying what is wrong and what to do
     */
    static byte[] read(int index, Path file, X509Certificate cert, Instant now) {
        byte[] der;
        try {
            der = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw problem(index, "cannot read OCSP response " + file + ": no such file");
        } catch (AccessDeniedException e) {
            throw problem(index, "cannot read OCSP response " + file + ": permission denied (Ferry runs as "
                    + System.getProperty("user.name") + ")");
        } catch (IOException e) {
            throw problem(index, "cannot read OCSP response " + file + ": " + Reasons.of(e));
        }
        if (der.length > 0 && der[0] == '-') {
            throw problem(index, file + " is text (PEM?); ocsp needs the DER response as openssl ocsp -respout "
                    + "writes it");
        }
        try {
            check(index, file, der, cert, now);
        } catch (TlsFileException e) {
            throw e;
        } catch (RuntimeException e) {
            // Malformed DER ends in any of several exceptions (a missing element, a bad length, a bad time).
            throw problem(index, file + " is not a DER OCSP response (" + (e instanceof IllegalArgumentException
                    ? e.getMessage() : "malformed") + "); fetch one with: openssl ocsp -issuer ISSUER.pem -cert "
                    + "CERT.pem -url URL -respout " + file);
        }
        return der;
    }

    private static void check(int index, Path file, byte[] der, X509Certificate cert, Instant now) {
        List<Der.Element> response = Der.sequence(der);
        if (response.isEmpty() || response.get(0).tag() != ENUMERATED) {
            throw new IllegalArgumentException("no response status");
        }
        byte[] status = response.get(0).content();
        int code = status.length == 1 ? status[0] : -1;
        if (code != 0) {
            throw problem(index, file + " is an OCSP response with status " + (code >= 0 && code < STATUS.length
                    ? STATUS[code] : String.valueOf(code)) + ", not successful: it staples no certificate status; "
                    + "fetch a new one from the CA's responder");
        }
        if (response.size() < 2 || response.get(1).tag() != CONTEXT_0) {
            throw new IllegalArgumentException("a successful response without responseBytes");
        }
        List<Der.Element> bytes = Der.sequence(response.get(1).content());
        if (bytes.size() < 2 || !Arrays.equals(bytes.get(0).encoded(), BASIC)) {
            throw problem(index, file + " is not a basic OCSP response (id-pkix-ocsp-basic), the only kind clients "
                    + "take");
        }
        List<Der.Element> basic = Der.sequence(bytes.get(1).content());
        List<Der.Element> data = Der.sequence(basic.get(0).encoded());
        // version [0] is optional; then responderID, producedAt, responses.
        int at = data.get(0).tag() == CONTEXT_0 ? 1 : 0;
        List<Der.Element> responses = Der.sequence(data.get(at + 2).encoded());
        BigInteger serial = cert.getSerialNumber();
        StringBuilder others = new StringBuilder();
        for (Der.Element single : responses) {
            List<Der.Element> s = Der.sequence(single.encoded());
            List<Der.Element> certId = Der.sequence(s.get(0).encoded());
            BigInteger responseSerial = new BigInteger(certId.get(3).content());
            if (!responseSerial.equals(serial)) {
                others.append(others.isEmpty() ? "" : ", ").append(responseSerial.toString(16));
                continue;
            }
            if (s.get(1).tag() == REVOKED) {
                throw problem(index, file + " says the certificate " + cert.getSubjectX500Principal().getName()
                        + " is revoked; replace the certificate");
            }
            if (s.get(1).tag() != GOOD) {
                throw problem(index, file + " says the status of certificate " + cert.getSubjectX500Principal()
                        .getName() + " is unknown to its CA's responder: was it fetched from the right one?");
            }
            for (int i = 3; i < s.size(); i++) {
                if (s.get(i).tag() == CONTEXT_0) {
                    Instant next = time(Der.first(s.get(i).content()));
                    if (next.isBefore(now)) {
                        throw problem(index, file + " expired at " + next + " (its nextUpdate): clients would refuse "
                                + "the staple; fetch a fresh one (openssl ocsp ... -respout " + file + ") and reload");
                    }
                }
            }
            return;
        }
        throw problem(index, file + " is an OCSP response for another certificate (serial " + others
                + "); the certificate's serial is " + serial.toString(16)
                + ": fetch the response for this certificate");
    }

    private static Instant time(Der.Element e) {
        if (e.tag() != GENERALIZED_TIME) {
            throw new IllegalArgumentException("nextUpdate is not a GeneralizedTime");
        }
        String text = new String(e.content(), java.nio.charset.StandardCharsets.US_ASCII);
        return LocalDateTime.parse(text.substring(0, 14), TIME).toInstant(ZoneOffset.UTC);
    }

    private static TlsFileException problem(int index, String message) {
        return new TlsFileException(index, "ocsp", message);
    }
}
