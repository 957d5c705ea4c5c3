import Foundation
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

/// What `X509CertificateVerifier` does with a stapled OCSP response it cannot use (undecodable, not for the leaf,
/// signed by someone other than the issuer or its delegated OCSP responder, outside thisUpdate…nextUpdate, status
/// unknown, …). A response saying "revoked" is rejected with certificate_revoked in both modes; without a stapled
/// response nothing is checked (TLSKit never contacts OCSP responders itself).
public enum OCSPStaplingFailureMode: Sendable, Hashable {
    /// Accept the certificate as if nothing had been stapled (the default, as browsers do).
    case soft
    /// Reject with bad_certificate_status_response.
    case hard
}

/// Checks the stapled OCSP response for the leaf with swift-certificates' `OCSPVerifierPolicy`. That policy asks an
/// `OCSPRequester` for every certificate naming an OCSP responder (AIA); ours answers the leaf's request with the
/// stapled bytes and declines the others (non-terminal: no opinion), so only the leaf is judged.
///
/// Limits inherited from that policy: it only evaluates certificates that name an OCSP responder, so a response
/// stapled for a leaf without one cannot be checked (ignored in soft mode, rejected in hard mode); and it compares a
/// nonce in the response with the one in its own request, so a stapled response carrying a nonce is unusable
/// (stapled responses normally have none). The response must be signed by the leaf's issuer or by a delegated
/// responder certificate (id-kp-OCSPSigning) the issuer signed, included in the response.
struct StapledOCSPPolicy: VerifierPolicy {
    let response: [UInt8]
    let mode: OCSPStaplingFailureMode
    let now: Date
    var verifyingCriticalExtensions: [ASN1ObjectIdentifier] { [] }

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        let leaf = chain.leaf
        let namesResponder = (try? leaf.extensions.authorityInformationAccess?.contains { $0.method == .ocspServer }) ?? false
        guard namesResponder else {
            return unusable("the leaf \(brief(leaf)) names no OCSP responder, so the stapled response cannot be checked")
        }
        let requester = StapledOCSPRequester(response: response, leafSerial: Array(leaf.serialNumber.bytes))
        var inner = OCSPVerifierPolicy(
            failureMode: mode == .hard ? .hard : .soft, requester: requester, fixedExpiryValidationTime: now)
        switch await inner.chainMeetsPolicyRequirements(chain: chain) {
        case .meetsPolicy:
            return .meetsPolicy
        case .failsToMeetPolicy(let reason):
            let text = X509CertificateVerifier.truncated(reason.description)
            // "revoked through OCSP, reason: …" is the one failure soft mode also reports.
            if text.hasPrefix("revoked through OCSP") { return VerifierRule.revoked.fail(text) }
            return VerifierRule.ocspStatus.fail("stapled OCSP response rejected: \(text)")
        }
    }

    private func unusable(_ message: String) -> PolicyEvaluationResult {
        mode == .hard ? VerifierRule.ocspStatus.fail(message) : .meetsPolicy
    }
}

/// Answers the OCSP query for the leaf (recognized by its serial number in the request's CertID) with the stapled
/// response; every other certificate's query is declined without failing it.
struct StapledOCSPRequester: OCSPRequester {
    struct NotStapled: Error, CustomStringConvertible {
        var description: String { "no stapled OCSP response for this certificate" }
    }

    let response: [UInt8]
    let leafSerial: [UInt8]

    func query(request: [UInt8], uri: String) async -> OCSPRequesterQueryResult {
        // The DER INTEGER may carry a 0x00 sign byte that `Certificate.SerialNumber.bytes` does not.
        guard let serial = Self.serialNumber(inRequest: request), serial.drop(while: { $0 == 0 }) == leafSerial.drop(while: { $0 == 0 }) else {
            return .nonTerminalError(NotStapled())
        }
        return .response(response)
    }

    /// OCSPRequest → tbsRequest → requestList[0] → reqCert (CertID) → serialNumber (RFC 6960 §4.1.1).
    static func serialNumber(inRequest der: [UInt8]) -> [UInt8]? {
        func children(_ node: ASN1Node?) -> [ASN1Node]? {
            guard let node, case .constructed(let nodes) = node.content else { return nil }
            return Array(nodes)
        }
        guard let root = try? DER.parse(der),
              let tbs = children(root)?.first,
              // Skip the optional [0] version and [1] requestorName.
              let requestList = children(tbs)?.first(where: { $0.identifier == .sequence }),
              let certID = children(children(requestList)?.first)?.first,
              let fields = children(certID), fields.count == 4,
              case .primitive(let serial) = fields[3].content else { return nil }
        return Array(serial)
    }
}
