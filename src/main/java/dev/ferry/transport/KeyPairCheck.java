package dev.ferry.transport;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;

/**
 * Whether a private key belongs to a certificate's public key, as HAProxy and nginx check at start ("key values
 * mismatch"): a pair that does not match would fail every handshake. RSA keys compare modulus and exponent; other
 * keys sign a fixed message that the certificate's key must verify. Stateless.
 */
final class KeyPairCheck {
    private static final byte[] PROBE = "ferry key pair check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private KeyPairCheck() {
    }

    static boolean matches(PrivateKey key, PublicKey certificateKey) {
        if (key instanceof RSAKey rsa && certificateKey instanceof RSAPublicKey pub) {
            boolean exponent = !(key instanceof RSAPrivateCrtKey crt)
                    || crt.getPublicExponent().equals(pub.getPublicExponent());
            return rsa.getModulus().equals(pub.getModulus()) && exponent;
        }
        if (!family(key.getAlgorithm()).equals(family(certificateKey.getAlgorithm()))) {
            return false;
        }
        try {
            Signature signer = signature(key.getAlgorithm());
            signer.initSign(key);
            signer.update(PROBE);
            byte[] signed = signer.sign();
            Signature verifier = signature(certificateKey.getAlgorithm());
            verifier.initVerify(certificateKey);
            verifier.update(PROBE);
            return verifier.verify(signed);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private static String family(String algorithm) {
        return switch (algorithm) {
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            case "RSASSA-PSS" -> "RSA";
            default -> algorithm;
        };
    }

    private static Signature signature(String algorithm) throws GeneralSecurityException {
        return switch (algorithm) {
            case "EC" -> Signature.getInstance("SHA256withECDSA");
            case "RSASSA-PSS" -> {
                Signature s = Signature.getInstance("RSASSA-PSS");
                s.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
                yield s;
            }
            case "DSA" -> Signature.getInstance("SHA256withDSA");
            default -> Signature.getInstance(algorithm); // Ed25519, Ed448, EdDSA
        };
    }
}
