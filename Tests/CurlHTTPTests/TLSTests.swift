import CurlHTTP
import Foundation
import Testing
import TestServers

/// HTTPS against a server whose certificate a test CA signed: verified with that CA, refused without it.
@Suite(.enabled(if: TestCertificates.openssl != nil, "the openssl command is not on PATH: no test CA can be made"))
struct TLSTests {
    @Test func serverSignedByTheGivenCAVerifies() throws {
        let certificates = try TestCertificates()
        let server = try FixtureServer(certificates: certificates)
        defer { server.stop() }
        let client = SleepRecorder().client { $0.caBundle = certificates.caFile.path }
        let response = try client.get(HTTPRequest(url: server.url("/echo")))

        #expect(response.status == 200)
        #expect(response.url.hasPrefix("https://127.0.0.1:"))
    }

    @Test func serverSignedByAnUnknownCAIsRefused() throws {
        let certificates = try TestCertificates()
        let server = try FixtureServer(certificates: certificates)
        defer { server.stop() }
        let recorder = SleepRecorder()
        let error = try #require(throws: HTTPError.self) { try recorder.client().get(HTTPRequest(url: server.url("/echo"))) }

        #expect(error.kind == .tls)
        #expect(error.message.contains("certificate"))
        #expect(error.message.contains("caBundle"))
        #expect(error.attempts == 1)
        #expect(recorder.delays.isEmpty)
        #expect(try server.hits("/echo", certificates: certificates) == 0)
    }

    @Test func certificateForAnotherHostIsRefused() throws {
        let certificates = try TestCertificates()
        let server = try FixtureServer(certificates: certificates)
        defer { server.stop() }
        // The certificate names 127.0.0.1 only; "localhost" reaches the same server under another name.
        let client = SleepRecorder().client { $0.caBundle = certificates.caFile.path }
        let error = try #require(throws: HTTPError.self) { try client.get(HTTPRequest(url: server.url("/echo", host: "localhost"))) }

        #expect(error.kind == .tls)
    }

    @Test func missingCABundleIsATLSError() throws {
        let certificates = try TestCertificates()
        let server = try FixtureServer(certificates: certificates)
        defer { server.stop() }
        let client = SleepRecorder().client { $0.caBundle = certificates.directory.appendingPathComponent("absent.pem").path }
        let error = try #require(throws: HTTPError.self) { try client.get(HTTPRequest(url: server.url("/echo"))) }

        #expect(error.kind == .tls)
    }
}
