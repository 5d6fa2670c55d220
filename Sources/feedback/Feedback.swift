import ArgumentParser
import FeedbackKit

@main
struct Feedback: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback",
        abstract: "Collect survey and satisfaction feedback, score departments, write monthly reports.",
        discussion: """
            A workspace is a folder with feedback.json, forms/ and reports/. Start with:

              feedback init my-district && cd my-district
              feedback forms validate
            """,
        version: FeedbackVersion.current,
        subcommands: [Init.self, Forms.self, Import.self, Fetch.self, Sources.self, Responses.self, Score.self, Report.self]
    )
}
