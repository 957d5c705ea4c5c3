import Foundation
import XCTest

/// End-to-end tests of `tlskit verify` on a small PKI made with the openssl CLI.
final class VerifyCommandTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tlskit-verify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func openssl(_ arguments: [String]) throws {
        let result = try runProgram(try requiredTool("openssl"), arguments)
        guard result.status == 0 else { throw TestFailure("openssl \(arguments.joined(separator: " ")): \(result.stderr)") }
    }

    /// `-newkey` arguments: ECDSA P-256, or RSA 2048 (which OpenSSL can sign with SHA-1).
    private static func newKey(rsa: Bool) -> [String] {
        rsa ? ["-newkey", "rsa:2048"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    }

    /// A self-signed root `name`.pem / `name`.key, self-signed with `digest` if given.
    private func makeRoot(_ name: String, rsa: Bool = false, digest: String? = nil) throws {
        try openssl(["req", "-x509"] + Self.newKey(rsa: rsa) + ["-nodes",
                     "-keyout", path("\(name).key"), "-out", path("\(name).pem"), "-days", "30",
                     "-subj", "/CN=\(name)", "-extensions", "v3", "-config", try configFile()]
                    + (digest.map { ["-\($0)"] } ?? []))
    }

    private func configFile() throws -> String {
        let config = path("openssl.cnf")
        try "[req]\ndistinguished_name=dn\n[dn]\n[v3]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        return config
    }

    /// Issues `name`.pem from `issuer` with the given extension lines; `digest` is the issuer's signature hash.
    private func issue(_ name: String, by issuer: String, extensions: String, rsa: Bool = false,
                       digest: String? = nil) throws {
        try extensions.write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
        try openssl(["req"] + Self.newKey(rsa: rsa) + ["-nodes",
                     "-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", "/CN=\(name)",
                     "-config", try configFile()])
        try openssl(["x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(issuer).pem"),
                     "-CAkey", path("\(issuer).key"), "-CAcreateserial", "-out", path("\(name).pem"), "-days", "10",
                     "-extfile", path("\(name).ext")] + (digest.map { ["-\($0)"] } ?? []))
    }

    private static let serverLeaf =
        "subjectAltName=DNS:www.example.test,IP:192.0.2.10\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"

    private func verify(_ arguments: [String]) throws -> RunResult {
        try runProgram(try tlskitBinary(), ["verify"] + arguments)
    }

    private func assertVerdict(_ result: RunResult, status: Int32, rule: String? = nil, contains text: String? = nil,
                               file: StaticString = #filePath, line: UInt = #line) {
        let output = result.stdout + result.stderr
        XCTAssertEqual(result.status, status, output, file: file, line: line)
        if let rule { XCTAssertTrue(result.stdout.contains("Failed rule:  \(rule)"), output, file: file, line: line) }
        if let text { XCTAssertTrue(output.contains(text), "missing '\(text)' in:\n\(output)", file: file, line: line) }
    }

    func testVerdictsOnAGeneratedPKI() throws {
        try makeRoot("root")
        try makeRoot("stranger")
        try issue("intermediate", by: "root",
                  extensions: "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n")
        try issue("leaf", by: "intermediate", extensions: Self.serverLeaf)
        try issue("clientonly", by: "intermediate", extensions: Self.serverLeaf.replacingOccurrences(
            of: "extendedKeyUsage=serverAuth", with: "extendedKeyUsage=clientAuth"))
        try issue("caleaf", by: "intermediate", extensions: Self.serverLeaf.replacingOccurrences(
            of: "CA:FALSE", with: "CA:TRUE"))
        let ca = ["--cafile", path("root.pem"), "--untrusted", path("intermediate.pem")]

        // Valid: the built chain runs leaf → intermediate → root.
        let ok = try verify(ca + ["--host", "www.example.test", path("leaf.pem")])
        assertVerdict(ok, status: 0, contains: "Built chain (3, leaf to root)")
        XCTAssertTrue(ok.stdout.contains("Verdict:      OK"), ok.stdout)
        assertVerdict(try verify(ca + ["--ip", "192.0.2.10", path("leaf.pem")]), status: 0)

        // Wrong host, with the names the certificate does carry.
        assertVerdict(try verify(ca + ["--host", "evil.example.test", path("leaf.pem")]), status: 1,
                      rule: "server-identity", contains: "DNS:www.example.test")
        // Expired and not yet valid, via --at.
        assertVerdict(try verify(ca + ["--at", "2099-01-01", path("leaf.pem")]), status: 1, rule: "validity",
                      contains: "certificate_expired")
        assertVerdict(try verify(ca + ["--at", "@946684800", path("leaf.pem")]), status: 1, rule: "validity",
                      contains: "not yet valid")
        // Wrong EKU for the purpose; right for the other.
        assertVerdict(try verify(ca + [path("clientonly.pem")]), status: 1, rule: "extended-key-usage",
                      contains: "unsupported_certificate")
        assertVerdict(try verify(ca + ["--purpose", "client", path("clientonly.pem")]), status: 0)
        // A CA certificate as the end entity.
        assertVerdict(try verify(ca + [path("caleaf.pem")]), status: 1, rule: "basic-constraints")
        // Missing intermediate, or the wrong root.
        assertVerdict(try verify(["--cafile", path("root.pem"), path("leaf.pem")]), status: 1, rule: "unknown-ca",
                      contains: "--untrusted")
        assertVerdict(try verify(["--cafile", path("stranger.pem"), "--untrusted", path("intermediate.pem"),
                                  path("leaf.pem")]), status: 1, rule: "unknown-ca")
        // --max-depth 0 forbids the intermediate.
        assertVerdict(try verify(ca + ["--max-depth", "0", path("leaf.pem")]), status: 1, rule: "budget",
                      contains: "maxIntermediates")
    }

    /// SHA-1 signatures below the root fail the `weak-signature` rule, with a hint; a root's own SHA-1
    /// self-signature does not matter.
    func testSHA1SignedChainsAreRejectedWithAnExplanation() throws {
        let ca = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
        try makeRoot("root", rsa: true)
        try issue("sha1leaf", by: "root", extensions: Self.serverLeaf, digest: "sha1")
        try issue("sha1intermediate", by: "root", extensions: ca, rsa: true, digest: "sha1")
        try issue("leaf", by: "sha1intermediate", extensions: Self.serverLeaf)
        try issue("goodleaf", by: "root", extensions: Self.serverLeaf)
        let trust = ["--cafile", path("root.pem"), "--host", "www.example.test"]

        let leaf = try verify(trust + [path("sha1leaf.pem")])
        assertVerdict(leaf, status: 1, rule: "weak-signature", contains: "SHA-1")
        XCTAssertTrue(leaf.stdout.contains("TLS alert:    bad_certificate"), leaf.stdout)
        XCTAssertTrue(leaf.stdout.contains("Hint:") && leaf.stdout.contains("SHA-256 or stronger"), leaf.stdout)
        assertVerdict(try verify(trust + ["--untrusted", path("sha1intermediate.pem"), path("leaf.pem")]), status: 1,
                      rule: "weak-signature", contains: "intermediate")
        assertVerdict(try verify(trust + [path("goodleaf.pem")]), status: 0)

        // A root self-signed with SHA-1 is still a trust anchor.
        try makeRoot("sha1root", rsa: true, digest: "sha1")
        try issue("underSHA1Root", by: "sha1root", extensions: Self.serverLeaf)
        assertVerdict(try verify(["--cafile", path("sha1root.pem"), "--host", "www.example.test", path("underSHA1Root.pem")]),
                      status: 0, contains: "Verdict:      OK")
    }

    func testUnusableInputExitsWithTwo() throws {
        try makeRoot("root")
        try issue("leaf", by: "root", extensions: Self.serverLeaf)
        let ca = ["--cafile", path("root.pem")]
        assertVerdict(try verify(ca + [path("missing.pem")]), status: 2, contains: "missing.pem")
        assertVerdict(try verify(["--cafile", path("nothing.pem"), path("leaf.pem")]), status: 2, contains: "nothing.pem")
        assertVerdict(try verify(ca + ["--host", "a.test", "--ip", "192.0.2.1", path("leaf.pem")]), status: 2,
                      contains: "exclude each other")
        assertVerdict(try verify(ca + ["--ip", "not-an-ip", path("leaf.pem")]), status: 2, contains: "--ip")
        assertVerdict(try verify(ca + ["--at", "yesterday", path("leaf.pem")]), status: 2, contains: "--at")
        assertVerdict(try verify(ca + ["--purpose", "email", path("leaf.pem")]), status: 2, contains: "--purpose")
        // ArgumentParser's own usage errors too.
        assertVerdict(try verify(ca), status: 2, contains: "Missing expected argument")
        assertVerdict(try verify(ca + ["--max-depth", "deep", path("leaf.pem")]), status: 2, contains: "--max-depth")
        // Numbers at the edges are input too: no trap, no time that passes every validity check.
        assertVerdict(try verify(ca + ["--max-depth", "\(Int.max)", path("leaf.pem")]), status: 0)
        assertVerdict(try verify(ca + ["--at", "@nan", path("leaf.pem")]), status: 2, contains: "--at")
        assertVerdict(try verify(ca + ["--at", "@inf", path("leaf.pem")]), status: 2, contains: "--at")
        assertVerdict(try verify(ca + ["--no-such-option", path("leaf.pem")]), status: 2)
        try "not a certificate\n".write(toFile: path("garbage.pem"), atomically: true, encoding: .utf8)
        assertVerdict(try verify(ca + [path("garbage.pem")]), status: 2)
    }
    /// The WebPKI profile rules name themselves and come with a hint.
    func testProfileRulesAreExplained() throws {
        try makeRoot("root")
        try issue("noaki", by: "root", extensions: Self.serverLeaf + "authorityKeyIdentifier=none\n")
        try issue("noeku", by: "root", extensions: Self.serverLeaf.replacingOccurrences(of: "extendedKeyUsage=serverAuth\n", with: ""))
        let trust = ["--cafile", path("root.pem"), "--host", "www.example.test"]
        let noAKI = try verify(trust + [path("noaki.pem")])
        assertVerdict(noAKI, status: 1, rule: "key-identifiers", contains: "authorityKeyIdentifier=keyid")
        XCTAssertTrue(noAKI.stdout.contains("TLS alert:    bad_certificate"), noAKI.stdout)
        assertVerdict(try verify(trust + [path("noeku.pem")]), status: 1, rule: "extended-key-usage",
                      contains: "non-critical extendedKeyUsage")
    }

    /// `--crl`: a CRL made by `openssl ca -gencrl` revokes the certificates it lists; one without a CRL number is
    /// unusable (rule `crl`); a file that is not a CRL is unusable input.
    func testCRLOption() throws {
        try makeRoot("root")
        try issue("leaf", by: "root", extensions: Self.serverLeaf)
        try issue("other", by: "root", extensions: Self.serverLeaf)
        try "".write(toFile: path("index.txt"), atomically: true, encoding: .utf8)
        try "1000\n".write(toFile: path("crlnumber"), atomically: true, encoding: .utf8)
        func config(crlNumber: Bool) throws -> String {
            let file = path(crlNumber ? "ca.cnf" : "ca-nonumber.cnf")
            try """
                [ca]
                default_ca = section
                [section]
                database = \(path("index.txt"))
                \(crlNumber ? "crlnumber = " + path("crlnumber") : "")
                default_md = sha256
                default_crl_days = 7
                crl_extensions = crl_ext
                [crl_ext]
                authorityKeyIdentifier = keyid:always

                """.write(toFile: file, atomically: true, encoding: .utf8)
            return file
        }
        let signer = ["-keyfile", path("root.key"), "-cert", path("root.pem")]
        try openssl(["ca", "-config", try config(crlNumber: true), "-revoke", path("leaf.pem")] + signer)
        try openssl(["ca", "-config", try config(crlNumber: true), "-gencrl", "-out", path("crl.pem")] + signer)
        try openssl(["ca", "-config", try config(crlNumber: false), "-gencrl", "-out", path("nonumber.pem")] + signer)
        let trust = ["--cafile", path("root.pem"), "--host", "www.example.test"]

        let revoked = try verify(trust + ["--crl", path("crl.pem"), path("leaf.pem")])
        assertVerdict(revoked, status: 1, rule: "revoked", contains: "TLS alert:    certificate_revoked")
        assertVerdict(try verify(trust + ["--crl", path("crl.pem"), path("other.pem")]), status: 0)
        assertVerdict(try verify(trust + [path("leaf.pem")]), status: 0)
        let unusable = try verify(trust + ["--crl", path("nonumber.pem"), path("other.pem")])
        assertVerdict(unusable, status: 1, rule: "crl", contains: "cRLNumber")
        XCTAssertTrue(unusable.stdout.contains("TLS alert:    certificate_unknown"), unusable.stdout)
        assertVerdict(try verify(trust + ["--crl", path("leaf.pem"), path("other.pem")]), status: 2, contains: "--crl")
        assertVerdict(try verify(trust + ["--crl", path("absent.crl"), path("other.pem")]), status: 2, contains: "absent.crl")
    }

    func testJSONVerdicts() throws {
        try makeRoot("root")
        try makeRoot("stranger")
        try issue("leaf", by: "root", extensions: Self.serverLeaf)
        let ok = try verify(["--cafile", path("root.pem"), "--host", "www.example.test", "--json", path("leaf.pem")])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let good = try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(good?["verified"] as? Bool, true, ok.stdout)
        let chain = good?["chain"] as? [[String: Any]]
        XCTAssertEqual(chain?.count, 2, ok.stdout)
        XCTAssertEqual(chain?.first?["subjectAltNames"] as? [String], ["DNS:www.example.test", "IP:192.0.2.10"])
        XCTAssertEqual(chain?.last?["subject"] as? String, "CN=root")

        let rejected = try verify(["--cafile", path("stranger.pem"), "--json", path("leaf.pem")])
        XCTAssertEqual(rejected.status, 1, rejected.stderr)
        let bad = try JSONSerialization.jsonObject(with: Data(rejected.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(bad?["verified"] as? Bool, false, rejected.stdout)
        XCTAssertEqual(bad?["failedRule"] as? String, "unknown-ca")
        XCTAssertEqual(bad?["alert"] as? String, "unknown_ca")
        XCTAssertTrue((bad?["hint"] as? String)?.contains("--untrusted") ?? false, rejected.stdout)
    }
}
