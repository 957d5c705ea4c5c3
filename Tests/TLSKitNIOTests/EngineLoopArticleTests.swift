import NIOCore
import NIOPosix
import TLSKit
import TLSKitNIO
import XCTest

/// Runs the engine-loop article's client (Support/EngineLoopExample.swift) against a TLSKit server on 127.0.0.1.
final class EngineLoopArticleTests: XCTestCase {
    func testTheArticlesEngineLoopFetchesAPage() async throws {
        let identity = try TestIdentity()
        let server = try await TLSKitBootstrap.bind(host: "127.0.0.1", port: 0, configuration: identity.serverConfiguration())
        let port = try XCTUnwrap(server.channel.localAddress?.port)
        let request = Locked("")

        let response = try await withTimeout(20) {
            try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                group.addTask {
                    try await server.executeThenClose { inbound in
                        for try await child in inbound {
                            try await child.executeThenClose { input, output in
                                for try await buffer in input {
                                    request.mutate { $0 += String(buffer: buffer) }
                                    if request.value.hasSuffix("\r\n\r\n") { break }
                                }
                                try await output.write(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"))
                            }
                            return
                        }
                    }
                    return nil
                }
                group.addTask {
                    try await fetch(path: "/", address: "127.0.0.1", port: UInt16(port), serverName: "localhost",
                                    configuration: identity.clientConfiguration())
                }
                var page: [UInt8]?
                for try await result in group { if let result { page = result } }
                return page
            }
        }
        XCTAssertEqual(request.value, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        let text = String(decoding: try XCTUnwrap(response), as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 200 OK"), text)
        XCTAssertTrue(text.hasSuffix("\r\n\r\nhello"), text)
    }

    func testTheArticlesEngineLoopRefusesAnUntrustedServer() async throws {
        let identity = try TestIdentity()
        let stranger = try TestIdentity()
        let server = try await TLSKitBootstrap.bind(host: "127.0.0.1", port: 0, configuration: identity.serverConfiguration())
        let port = try XCTUnwrap(server.channel.localAddress?.port)
        let serverError = Locked<String?>(nil)
        try await withTimeout(20) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await server.executeThenClose { inbound in
                        for try await child in inbound {
                            do {
                                try await child.executeThenClose { input, _ in for try await _ in input {} }
                            } catch {
                                serverError.mutate { $0 = "\(error)" }
                            }
                            return
                        }
                    }
                }
                group.addTask {
                    do {
                        _ = try await fetch(path: "/", address: "127.0.0.1", port: UInt16(port), serverName: "localhost",
                                            configuration: stranger.clientConfiguration())
                        XCTFail("fetched from a server whose root is not trusted")
                    } catch let error as TLSError {
                        XCTAssertEqual(error.alert, .unknownCA)
                    }
                }
                try await group.waitForAll()
            }
        }
        // The loop wrote its alert before giving up: the server heard why.
        XCTAssertTrue(serverError.value?.contains("unknown_ca") ?? false, serverError.value ?? "no error")
    }
}
