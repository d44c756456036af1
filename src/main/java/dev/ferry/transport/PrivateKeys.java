package dev.ferry.transport;

import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a PEM private key in the forms OpenSSL writes: PKCS#8 ({@code BEGIN PRIVATE KEY}, {@code openssl genpkey}),
 * PKCS#1 ({@code BEGIN RSA PRIVATE KEY}, {@code openssl genrsa} before 3.0 and many CAs), SEC1
 * ({@code BEGIN EC PRIVATE KEY}, {@code openssl ecparam -genkey}; a leading {@code EC PARAMETERS} block is skipped)
 * and encrypted PKCS#8 ({@code BEGIN ENCRYPTED PRIVATE KEY}) with a passphrase file. Keys are RSA, EC, Ed25519 or
 * Ed448. Every failure is a {@link TlsFileException} saying what to do, never a parser's message.
 *
 * <p>Stateless; blocking file reads: call off the event loops.
 */
public final class PrivateKeys {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\R(.*?)-----END \\1-----", Pattern.DOTALL);
    private static final byte[] RSA_ENCRYPTION = {0x06, 0x09, 0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xF7,
            0x0D, 0x01, 0x01, 0x01};
    private static final byte[] EC_PUBLIC_KEY = {0x06, 0x07, 0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x02, 0x01};
    private static final List<String> ALGORITHMS = List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS");
    private static final String WRITE_PKCS8 = "openssl pkcs8 -topk8 -nocrypt -in %s -out %s.pem";

    private PrivateKeys() {
    }

    /**
     * Reads the key of entry {@code index} of {@code tls.certificates}.
     *
     * @param passwordFile the passphrase file of an encrypted key (its first line), if any
     * @throws TlsFileException naming the file and what to write instead
     */
    public static PrivateKey read(int index, Path file, Optional<Path> passwordFile) {
        String text = readText(index, "key", file, "private key");
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String label = m.group(1);
            if (label.equals("EC PARAMETERS")) {
                continue;
            }
            String body = m.group(2);
            return switch (label) {
                case "PRIVATE KEY" -> {
                    refuseUnexpectedPassword(index, file, passwordFile);
                    yield pkcs8(index, file, decode(index, file, body));
                }
                case "RSA PRIVATE KEY" -> {
                    refuseLegacyEncryption(index, file, body);
                    refuseUnexpectedPassword(index, file, passwordFile);
                    yield pkcs8(index, file, Der.tlv(Der.SEQUENCE, new byte[]{Der.INTEGER, 1, 0},
                            Der.tlv(Der.SEQUENCE, RSA_ENCRYPTION, new byte[]{Der.NULL, 0}),
                            Der.tlv(Der.OCTET_STRING, decode(index, file, body))));
                }
                case "EC PRIVATE KEY" -> {
                    refuseLegacyEncryption(index, file, body);
                    refuseUnexpectedPassword(index, file, passwordFile);
                    yield pkcs8(index, file, sec1ToPkcs8(index, file, decode(index, file, body)));
                }
                case "ENCRYPTED PRIVATE KEY" -> decrypt(index, file, decode(index, file, body), passwordFile);
                default -> throw new TlsFileException(index, "key", file + " holds a " + label.toLowerCase()
                        + (label.equals("CERTIFICATE") ? " (are cert and key swapped?)" : "")
                        + "; key needs a PEM private key (BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY, BEGIN EC PRIVATE"
                        + " KEY or BEGIN ENCRYPTED PRIVATE KEY)");
            };
        }
        throw new TlsFileException(index, "key", file + " holds no PEM private key (no -----BEGIN ... PRIVATE "
                + "KEY----- line); for a DER (binary) key write PEM with: openssl pkey -inform DER -in " + file
                + " -out " + file + ".pem");
    }

    /** The file as text, or a message naming it and why it cannot be read. */
    static String readText(int index, String key, Path file, String what) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new TlsFileException(index, key, "cannot read " + what + " " + file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new TlsFileException(index, key, "cannot read " + what + " " + file
                    + ": permission denied (Ferry runs as " + System.getProperty("user.name") + ")");
        } catch (IOException e) {
            throw new TlsFileException(index, key, "cannot read " + what + " " + file + ": " + Reasons.of(e));
        }
    }

    private static byte[] decode(int index, Path file, String body) {
        StringBuilder base64 = new StringBuilder();
        for (String line : body.split("\\R")) {
            if (!line.contains(":")) {
                base64.append(line.strip());
            }
        }
        try {
            return Base64.getDecoder().decode(base64.toString());
        } catch (IllegalArgumentException e) {
            throw new TlsFileException(index, "key", file + " is damaged: its PEM block is not valid base64");
        }
    }

    private static void refuseLegacyEncryption(int index, Path file, String body) {
        if (body.contains("Proc-Type: 4,ENCRYPTED")) {
            throw new TlsFileException(index, "key", file + " is encrypted in OpenSSL's old form (Proc-Type), which"
                    + " Ferry does not read; write it as encrypted PKCS#8 with: openssl pkcs8 -topk8 -v2 aes-256-cbc"
                    + " -in " + file + " -out " + file + ".p8 (then key: " + file + ".p8 and key_password_file:),"
                    + " or unencrypted with: openssl pkey -in " + file + " -out " + file + ".pem");
        }
    }

    private static void refuseUnexpectedPassword(int index, Path file, Optional<Path> passwordFile) {
        if (passwordFile.isPresent()) {
            throw new TlsFileException(index, "key_password_file", file + " is not encrypted, so it needs no "
                    + "passphrase; remove key_password_file (or encrypt the key: openssl pkcs8 -topk8 -in " + file
                    + " -out " + file + ".p8)");
        }
    }

    /** SEC1 {@code ECPrivateKey} (RFC 5915) wrapped as PKCS#8, taking the curve from its {@code [0]} parameters. */
    private static byte[] sec1ToPkcs8(int index, Path file, byte[] sec1) {
        try {
            for (Der.Element e : Der.sequence(sec1)) {
                if (e.tag() == Der.CONTEXT_0) {
                    return Der.tlv(Der.SEQUENCE, new byte[]{Der.INTEGER, 1, 0},
                            Der.tlv(Der.SEQUENCE, EC_PUBLIC_KEY, e.content()), Der.tlv(Der.OCTET_STRING, sec1));
                }
            }
        } catch (IllegalArgumentException e) {
            throw damaged(index, file);
        }
        throw new TlsFileException(index, "key", file + " is an EC key that does not name its curve; write it as "
                + "PKCS#8 with: " + WRITE_PKCS8.formatted(file, file));
    }

    private static PrivateKey pkcs8(int index, Path file, byte[] der) {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                // the next algorithm may be the key's
            }
        }
        throw damaged(index, file);
    }

    private static TlsFileException damaged(int index, Path file) {
        return new TlsFileException(index, "key", file + " is not a usable private key (damaged, or an algorithm"
                + " other than RSA, EC, Ed25519 and Ed448); check it with: openssl pkey -noout -in " + file);
    }

    private static PrivateKey decrypt(int index, Path file, byte[] der, Optional<Path> passwordFile) {
        if (passwordFile.isEmpty()) {
            throw new TlsFileException(index, "key", file + " is encrypted (BEGIN ENCRYPTED PRIVATE KEY); set"
                    + " key_password_file to a file whose first line is its passphrase, or decrypt it with: "
                    + "openssl pkey -in " + file + " -out " + file + ".pem");
        }
        EncryptedPrivateKeyInfo info;
        try {
            info = new EncryptedPrivateKeyInfo(der);
        } catch (IOException e) {
            throw damaged(index, file);
        }
        String algorithm = info.getAlgName();
        SecretKeyFactory factory;
        Cipher cipher;
        try {
            factory = SecretKeyFactory.getInstance(algorithm);
            cipher = Cipher.getInstance(algorithm);
        } catch (GeneralSecurityException e) {
            throw new TlsFileException(index, "key", file + " is encrypted with " + algorithm + ", which this"
                    + " Java runtime cannot decrypt; re-encrypt it with: openssl pkcs8 -topk8 -v2 aes-256-cbc"
                    + " -in " + file + " -out " + file + ".p8");
        }
        char[] password = passphrase(index, passwordFile.get());
        try {
            SecretKey secret = factory.generateSecret(new PBEKeySpec(password));
            cipher.init(Cipher.DECRYPT_MODE, secret, info.getAlgParameters());
            return pkcs8(index, file, info.getKeySpec(cipher).getEncoded());
        } catch (GeneralSecurityException | TlsFileException e) {
            throw new TlsFileException(index, "key_password_file", "cannot decrypt " + file + " with the passphrase"
                    + " in " + passwordFile.get() + ": wrong passphrase? (check: openssl pkey -noout -in " + file
                    + " -passin file:" + passwordFile.get() + ")");
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    /** The first line of the passphrase file, as nginx's {@code ssl_password_file} reads it. */
    private static char[] passphrase(int index, Path passwordFile) {
        String text = readText(index, "key_password_file", passwordFile, "passphrase file");
        String first = text.lines().findFirst().orElse("");
        if (first.isEmpty()) {
            throw new TlsFileException(index, "key_password_file", passwordFile + " is empty; its first line must "
                    + "be the key's passphrase");
        }
        return new String(first.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8).toCharArray();
    }
}
