/// What to do about a certificate rule that failed, worded for the command that reports it: `verify` (offline, with
/// --host/--ip/--untrusted/--at/--max-depth) or `connect`/`scan` (a live server, with --servername/--cafile).
enum CertificateHints {
    enum Context {
        case verify
        case connect
    }

    static func hint(_ rule: String, for context: Context) -> String? {
        let live = context == .connect
        switch rule {
        case "server-identity":
            return live
                ? "the certificate's subjectAltName does not list the name you connected to; check the name (--servername "
                    + "sets the one checked), or reissue the certificate with it as a DNS (or IP) subjectAltName (the "
                    + "subject CN is never used)"
                : "the certificate's subjectAltName does not list this name; check --host/--ip, or reissue the "
                    + "certificate with the name as a DNS (or IP) subjectAltName (the subject CN is never used)"
        case "validity":
            return live
                ? "the server's certificate is expired or not yet valid: renew it, or check this machine's clock"
                : "renew the certificate, or check the clock (--at verifies at another time)"
        case "unknown-ca":
            return live
                ? "the chain does not lead to a trusted root: pass the issuing root with --cafile, or have the server "
                    + "send its intermediate certificates"
                : "pass the issuing root with --cafile and any missing intermediates with --untrusted"
        case "extended-key-usage":
            return live
                ? "the certificate is not for TLS servers: reissue it with extendedKeyUsage serverAuth (an intermediate "
                    + "with an EKU list must include it or anyExtendedKeyUsage)"
                : "the leaf needs a non-critical extendedKeyUsage listing serverAuth (or clientAuth for --purpose "
                    + "client), not only anyExtendedKeyUsage; an intermediate with an EKU list must include it or "
                    + "anyExtendedKeyUsage"
        case "basic-constraints":
            return "a CA certificate (cA=TRUE or keyCertSign) cannot be the end entity; issuers must be CAs with "
                + "keyCertSign and a critical basicConstraints, and respect pathLenConstraint"
        case "name-constraints":
            return "an issuing CA is not allowed to certify one of the certificate's names, or its nameConstraints are "
                + "malformed (not critical, empty, a dNSName with a leading period, or in an end entity)"
        case "common-name":
            return "the subject CN names a host or address the subjectAltName does not list; reissue with the CN "
                + "copied from a subjectAltName (or no CN)"
        case "subject-alt-name":
            return "the subjectAltName is malformed for the WebPKI: critical only when the subject is empty, no "
                + "underscores in DNS names, no wildcard directly under a public suffix (*.com, *.co.uk)"
        case "subject": return "a CA certificate needs a non-empty subject; reissue the CA certificate"
        case "policy-constraints": return "policyConstraints must be critical; reissue the CA certificate"
        case "key-identifiers":
            return "every certificate below the root needs an authorityKeyIdentifier holding only the issuer's key "
                + "identifier, and every CA a subjectKeyIdentifier; reissue with them (openssl: "
                + "subjectKeyIdentifier=hash, authorityKeyIdentifier=keyid)"
        case "serial-number": return "serial numbers must be positive and at most 20 octets; reissue the certificate"
        case "public-key": return "RSA moduli must be a multiple of 8 bits (e.g. 2048, 3072 or 4096); issue a new key"
        case "authority-info-access": return "the authorityInfoAccess extension does not decode; reissue the certificate"
        case "revoked": return "the certificate has been revoked by its issuer; obtain a new certificate"
        case "crl":
            return "a --crl file for an issuer in the chain cannot be used (it needs a non-critical CRL number, an "
                + "issuer with cRLSign and a valid signature); fetch a current CRL from the CA"
        case "weak-signature":
            return "a certificate below the root is signed with SHA-1 or MD5, which TLSKit (like browsers, Go and "
                + "rustls) refuses; have the CA reissue it signed with SHA-256 or stronger (only a root's own "
                + "self-signature may use SHA-1)"
        case "budget":
            return live
                ? "the server's chain is too long or tangled to verify; have it send a shorter chain"
                : "the chain is too long or tangled; --max-depth raises the intermediate limit"
        case "critical-extensions": return "the certificate has a critical extension TLSKit does not process"
        default: return nil
        }
    }
}
