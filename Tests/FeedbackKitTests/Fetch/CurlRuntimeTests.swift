import CurlHTTP
import Testing

struct CurlRuntimeTests {
    @Test func linkedLibcurlSpeaksHTTPAndHTTPSWithTLS() {
        #expect(CurlRuntime.version.split(separator: ".").count == 3)
        #expect(CurlRuntime.protocols.contains("http"))
        #expect(CurlRuntime.protocols.contains("https"))
        #expect(CurlRuntime.supportsTLS)
    }
}
