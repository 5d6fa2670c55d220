import CurlHTTP
import Testing

/// What URLRedaction keeps and what it hides.
struct URLRedactionTests {
    @Test(arguments: [
        (
            "https://reader:pa55@kf.kobotoolbox.org/api/v2/assets/aXyZ/data/?format=json",
            "https://kf.kobotoolbox.org/api/v2/assets/aXyZ/data/?format=json"
        ),
        ("https://reader@kf.example.org/a", "https://kf.example.org/a"),
        ("https://a:b@c@example.org/x", "https://example.org/x"),
        ("https://example.org/data?token=abc&limit=10", "https://example.org/data?token=***&limit=10"),
        (
            "https://example.org/d?access_token=a1&api_key=b2&API-KEY=c3&password=d4&sig=e5&signature=f6&key=g7",
            "https://example.org/d?access_token=***&api_key=***&API-KEY=***&password=***&sig=***&signature=***&key=***"
        ),
        (
            "https://s3.example.org/f.csv?X-Amz-Credential=AK%2F1&X-Amz-Signature=ff00&X-Amz-Expires=60",
            "https://s3.example.org/f.csv?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Expires=60"
        ),
        ("https://example.org/d?kobo_token=x1&api%5Fkey=y2", "https://example.org/d?kobo_token=***&api%5Fkey=***"),
        (
            "https://central.example.org/v1/key/Ab1xYz/projects/1/forms/f.svc/Submissions?$top=250",
            "https://central.example.org/v1/key/***/projects/1/forms/f.svc/Submissions?$top=250"
        ),
        ("https://example.org/cb#access_token=xyz&state=1", "https://example.org/cb#access_token=***&state=1"),
        ("https://example.org/d?token=&start=0", "https://example.org/d?token=&start=0"),
        ("https://example.org/a@b?start=10&limit=5", "https://example.org/a@b?start=10&limit=5"),
        ("http://127.0.0.1:8080/path", "http://127.0.0.1:8080/path"),
        ("user:pw@example.org/path?token=t", "example.org/path?token=***"),
        ("", ""),
    ])
    func redacts(url: String, expected: String) {
        #expect(URLRedaction.redact(url) == expected)
        #expect(URLRedaction.redact(expected) == expected)
    }
}
