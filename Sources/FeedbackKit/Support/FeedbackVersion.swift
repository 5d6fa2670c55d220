/// The version of feedback, shown by `--version` and sent as the User-Agent.
public enum FeedbackVersion {
    public static let current = "0.1.0"
}
