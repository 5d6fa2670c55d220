import Foundation

/// Takes records into the store the same way whether they come from a file or a remote source: mapped
/// onto the form, checked, stored once, or rejected with every reason.
struct RecordIntake {
    let mapper: RecordMapper
    /// Plans by header; JSON records each carry their own names, so the cache is bounded.
    private var plans: [[String]: RecordMapper.Plan] = [:]
    private var planned = false
    /// The last header and its plan. Every record of a table shares one header array, and `==`
    /// on arrays that share storage returns at once, so a table never hashes its header per
    /// record (for speed: that hash was a per-record cost over every column name).
    private var last: (names: [String], plan: RecordMapper.Plan)?
    /// In a dry run nothing is written, so the keys accepted so far are remembered here instead.
    private var seen = Set<String>()

    enum Outcome {
        case stored(Response)
        case duplicate
        case rejected([RecordProblem])
    }

    init(mapper: RecordMapper) {
        self.mapper = mapper
    }

    /// Maps one record and stores it through `writer` (nil: a dry run, which only checks against `reader`).
    /// `firstHeader` sees the plan of the first record's names, and may refuse the whole input by throwing.
    mutating func take(
        _ record: SourceRecord, reader: any ResponseReader, writer: (any ResponseWriter)?, importId: Int64?,
        firstHeader: (RecordMapper.Plan, [String]) throws -> Void = { _, _ in }
    ) throws -> Outcome {
        switch try map(record, firstHeader: firstHeader) {
        case .rejected(let problems):
            return .rejected(problems)
        case .accepted(let response):
            let stored: Bool
            if let writer, let importId {
                stored = try writer.insert(response, importId: importId)
            } else {
                stored = try isNew(response, reader: reader)
            }
            return stored ? .stored(response) : .duplicate
        }
    }

    /// In a dry run: whether a response is neither stored nor accepted earlier in this run.
    mutating func isNew(_ response: Response, reader: any ResponseReader) throws -> Bool {
        seen.insert(response.key).inserted ? !(try reader.contains(formId: mapper.form.id, key: response.key)) : false
    }

    /// Maps one record onto the form without storing it: the first half of `take`, which a
    /// pipelined import runs on its own thread while the store inserts on another.
    mutating func map(
        _ record: SourceRecord, firstHeader: (RecordMapper.Plan, [String]) throws -> Void = { _, _ in }
    ) throws -> RecordMapper.Mapped {
        try map(record.values, names: record.names, position: record.position, firstHeader: firstHeader)
    }

    /// The same for a record given as its values by column, its names and its position.
    mutating func map<Values: RecordValues>(
        _ values: Values, names: [String], position: Int, firstHeader: (RecordMapper.Plan, [String]) throws -> Void = { _, _ in }
    ) throws -> RecordMapper.Mapped {
        let plan = try plan(for: names, firstHeader: firstHeader)
        return mapper.map(values, names: names, position: position, plan: plan)
    }

    /// The plan of a record's names, made once for each header.
    mutating func plan(
        for names: [String], firstHeader: (RecordMapper.Plan, [String]) throws -> Void = { _, _ in }
    ) throws -> RecordMapper.Plan {
        if let last, last.names == names { return last.plan }
        let plan: RecordMapper.Plan
        if let cached = plans[names] {
            plan = cached
        } else {
            plan = mapper.plan(header: names)
            if !planned {
                planned = true
                try firstHeader(plan, names)
            }
            if plans.count < 256 { plans[names] = plan }
        }
        last = (names, plan)
        return plan
    }
}
