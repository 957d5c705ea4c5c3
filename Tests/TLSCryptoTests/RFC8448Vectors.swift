// Generated from RFC 8448 (the hex dumps in the RFC text); byte-for-byte copies of the trace.

enum RFC8448 {
    /// §3 ClientHello (196 octets).
    static let clientHello = hex(
        "010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece700000613011303130201" +
        "0000910000000b0009000006736572766572ff01000100000a00140012001d0017001800190100010101020103010400" +
        "230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b00" +
        "03020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c" +
        "00024001"
    )

    /// §3 ServerHello (90 octets).
    static let serverHello = hex(
        "020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e00330024" +
        "001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304"
    )

    /// §3 EncryptedExtensions (40 octets).
    static let encryptedExtensions = hex(
        "080000240022000a00140012001d00170018001901000101010201030104001c0002400100000000"
    )

    /// §3 Certificate (445 octets), carrying the 1024-bit RSA server certificate.
    static let certificate = hex(
        "0b0001b9000001b50001b0308201ac30820115a003020102020102300d06092a864886f70d01010b0500300e310c300a" +
        "06035504031303727361301e170d3136303733303031323335395a170d3236303733303031323335395a300e310c300a" +
        "0603550403130372736130819f300d06092a864886f70d010101050003818d0030818902818100b4bb498f8279303d98" +
        "0836399b36c6988c0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace6c1af19eaa6af98c7ced4312" +
        "0998e187a80ee0ccb0524b1b018c3e0b63264d449a6d38e22a5fda430846748030530ef0461c8ca9d9efbfae8ea6d1d0" +
        "3e2bd193eff0ab9a8002c47428a6d35a8d88d79f7f1e3f0203010001a31a301830090603551d1304023000300b060355" +
        "1d0f0404030205a0300d06092a864886f70d01010b05000381810085aad2a0e5b9276b908c65f73a7267170618a54c5f" +
        "8a7b337d2df7a594365417f2eae8f8a58c8f8172f9319cf36b7fd6c55b80f21a03015156726096fd335e5e67f2dbf102" +
        "702e608ccae6bec1fc63a42a99be5c3eb7107c3c54e9b9eb2bd5203b1c3b84e0a8b2f759409ba3eac9d91d402dcc0cc8" +
        "f8961229ac9187b42b4de10000"
    )

    /// §3 CertificateVerify (136 octets): rsa_pss_rsae_sha256, 128-byte signature.
    static let certificateVerify = hex(
        "0f000084080400805a747c5d88fa9bd2e55ab085a61015b7211f824cd484145ab3ff52f1fda8477b0b7abc90db78e2d3" +
        "3a5c141a078653fa6bef780c5ea248eeaaa785c4f394cab6d30bbe8d4859ee511f602957b15411ac027671459e46445c" +
        "9ea58c181e818e95b8c3fb0bf3278409d3be152a3da5043e063dda65cdf5aea20d53dfacd42f74f3"
    )

    /// §3 client handshake write key (server "read traffic keys for handshake data").
    static let clientHandshakeKey = hex(
        "dbfaa693d1762c5b666af5d950258d01"
    )

    /// §3 client handshake write IV.
    static let clientHandshakeIV = hex(
        "5bd3c71b836e0b76bb73265f"
    )

    /// §3 client Finished handshake message (record payload).
    static let clientFinished = hex(
        "14000020a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61"
    )

    /// §3 client Finished protected record (58 octets).
    static let clientFinishedRecord = hex(
        "170303003575ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc44d87f38f80338ac98fc46deb384bd1c" +
        "aeacab6867d726c40546"
    )

    /// §3 client ephemeral X25519 private key.
    static let x25519ClientPrivate = hex(
        "49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005"
    )

    /// §3 client ephemeral X25519 public key.
    static let x25519ClientPublic = hex(
        "99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c"
    )

    /// §3 server ephemeral X25519 public key.
    static let x25519ServerPublic = hex(
        "c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f"
    )

    /// §3 IKM of the handshake secret = X25519 shared secret.
    static let x25519SharedSecret = hex(
        "8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d"
    )

    /// §5 client ephemeral P-256 private key.
    static let p256ClientPrivate = hex(
        "ab5473467e19346ceb0a0414e41da21d4d2445bc3025afe97c4e8dc8d513da39"
    )

    /// §5 client ephemeral P-256 public key.
    static let p256ClientPublic = hex(
        "04a6da7392ec591e17abfd535964b99894d13befb221b3def2ebe3830eac8f0151812677c4d6d2237e85cf01d6910cfb" +
        "83954e76ba7352830534159897e8065780"
    )

    /// §5 server ephemeral P-256 private key.
    static let p256ServerPrivate = hex(
        "8c510601f9765bfb8ed693449a48989859b5cfa879cb9f5443c41c5ff10634ed"
    )

    /// §5 server ephemeral P-256 public key.
    static let p256ServerPublic = hex(
        "04583e054b7a66672ae020ad9d2686fcc85b5ad41a134a0f03ee72b893052bd85b4c8de6776f5b04ac07d83540eab3e3" +
        "d9c547bc6528c4317d294686093a6cad7d"
    )

    /// §5 IKM of the handshake secret = P-256 shared secret.
    static let p256SharedSecret = hex(
        "c142ce13ca11b5c2233652e63ad3d97844f1621fbfb9de69d547dc8fedeabeb4"
    )

}
