/// Adds responses to tallies kept as the words `ScoreTally.encoded` writes (see `TallyWords`), in
/// place: for an import, which adds every response it stores to its department's tally.
///
/// Written by hand for speed: `ScoreTally.add` mutates accumulators held in arrays, with arrays of
/// their own inside, and each mutation checked that both were unique; each item's scale, a range,
/// was copied through generic witnesses. It and the adds it called were about an eighth of what the
/// thread that stores an import did (callgrind, 100k JSON Lines: 76.4M of 641.7M instructions;
/// this, 52.0M; bench/README.md, twenty-ninth round). The sums come out the same, bit for bit: each
/// one takes the same additions in the same order (a test compares the two on values of every kind).
struct TallyAdder {
    /// Words a tally takes.
    let words: Int
    /// The words of an empty tally.
    let empty: [UInt64]
    private let overall: Item
    private let dimensions: [Item]
    /// Where each dimension's pair with the overall item starts: count, Σx, Σy, Σx², Σy², Σxy.
    private let drivers: [Int]
    private let recommend: Item?
    /// Where the pain points' trials and successes start, two words each.
    private let painPoints: Int
    private let painPointCount: Int
    private let mentions: Int
    private let comments: Int
    private let efficiency: Int
    private let notApplicable: Int

    /// An item's words: a count for each level, then count, Σ level and Σ level².
    private struct Item {
        let low: Int
        let high: Int
        /// Where the count of level 0 would be (level `low`'s is at `low` past it).
        let levelZero: Int
        let count: Int

        init(_ item: ItemAccumulator, at base: inout Int) {
            low = item.levels.lowerBound
            high = item.levels.upperBound
            levelZero = base - low
            count = base + item.countsByLevel.count
            base = count + 3
        }

        // The places are worked out without overflow checks (for speed): they lie within the
        // tally's words, as `init` made them.
        @inline(__always)
        func add(_ level: Int, to p: UnsafeMutablePointer<UInt64>) {
            guard level >= low, level <= high else { return }
            p.bump(levelZero &+ level, by: 1)
            p.bump(count, by: 1)
            p.bump(count &+ 1, by: level)
            p.bump(count &+ 2, by: level * level)
        }
    }

    /// The adder for tallies of the layout's form, in the order `ScoreTally.encoded` writes them.
    init(layout: ScoringLayout) {
        let tally = ScoreTally(form: layout)
        var at = 1
        overall = Item(tally.overall, at: &at)
        dimensions = tally.dimensions.map { Item($0, at: &at) }
        drivers = tally.drivers.map { _ in
            defer { at += 6 }
            return at
        }
        recommend = tally.recommend.map { Item($0, at: &at) }
        painPoints = at
        painPointCount = tally.painPoints.count
        at += 2 * tally.painPoints.count
        mentions = at
        at += tally.commentMentions.count
        comments = at
        efficiency = at + 1
        notApplicable = at + 9
        words = notApplicable + tally.notApplicable.count
        empty = tally.encodedWords
        precondition(empty.count == words, "TallyAdder does not follow ScoreTally.encoded")
    }

    /// Adds what one response gives to the tally whose words start at `p`, as `ScoreTally.add` does.
    /// `values` is read where it lies (see `LeanResponse.digest(of:)`).
    func add(_ values: UnsafePointer<ScoringValues>, to p: UnsafeMutablePointer<UInt64>) {
        p.bump(0, by: 1)
        if let level = values.pointee.overall { overall.add(level, to: p) }
        precondition(values.pointee.dimensions.count == dimensions.count, "values of another form")
        values.pointee.dimensions.forEach { i, item in
            switch item {
            case .number(let v):
                dimensions[i].add(Int(v), to: p)
                if let level = values.pointee.overall {
                    let y = Double(level)
                    // As `PairAccumulator.add(x:y:)`.
                    if v.isFinite && y.isFinite {
                        let d = p + drivers[i]
                        d.bump(0, by: 1)
                        d.add(1, v)
                        d.add(2, y)
                        d.add(3, v * v)
                        d.add(4, y * y)
                        d.add(5, v * y)
                    }
                }
            case .notApplicable:
                p.bump(notApplicable &+ i, by: 1)
            case .unanswered:
                break
            }
        }
        if let v = values.pointee.recommend { recommend?.add(v, to: p) }
        switch values.pointee.painTicks {
        case .mask(let mask):
            let pains = p + painPoints
            for i in 0..<painPointCount {
                pains.bump(2 &* i, by: 1)
                if mask & (1 << UInt64(i)) != 0 { pains.bump(2 &* i &+ 1, by: 1) }
            }
        case .flags(let flags):
            let pains = p + painPoints
            for i in 0..<painPointCount {
                pains.bump(2 &* i, by: 1)
                if flags[i] { pains.bump(2 &* i &+ 1, by: 1) }
            }
        case nil:
            break
        }
        switch values.pointee.commentTags {
        case .mask(var mask):
            p.bump(comments, by: 1)
            while mask != 0 {
                mention(mask.trailingZeroBitCount, p)
                mask &= mask - 1
            }
        case .list(let tags):
            p.bump(comments, by: 1)
            for i in tags { mention(i, p) }
        case nil:
            break
        }
        // As `EfficiencyAccumulator.add`: timed, on time, ratios, Σ ratio, trips, none, at most one, Σ trips.
        let e = p + efficiency
        if let daysTaken = values.pointee.daysTaken, let promisedDays = values.pointee.daysPromised, daysTaken.isFinite,
            promisedDays.isFinite,
            daysTaken >= 0, promisedDays >= 0
        {
            e.bump(0, by: 1)
            if daysTaken <= promisedDays { e.bump(1, by: 1) }
            if promisedDays > 0 {
                e.bump(2, by: 1)
                e.add(3, daysTaken / promisedDays)
            }
        }
        if let trips = values.pointee.trips, trips >= 0 {
            e.bump(4, by: 1)
            e.bump(7, by: trips)
            if trips == 0 { e.bump(5, by: 1) }
            if trips <= 1 { e.bump(6, by: 1) }
        }
    }

    /// A mention of pain point `i`; one past the taxonomy stops the program, as `ScoreTally.add`'s
    /// subscript would (the words are written through a pointer).
    @inline(__always)
    private func mention(_ i: Int, _ p: UnsafeMutablePointer<UInt64>) {
        precondition(i >= 0 && i < painPointCount, "a comment tag past the form's pain points")
        p.bump(mentions &+ i, by: 1)
    }
}

extension UnsafeMutablePointer<UInt64> {
    /// Adds to the integer sum at word `i` (`TallyWords.put(_: Int)` writes it).
    @inline(__always)
    fileprivate func bump(_ i: Int, by n: Int) {
        self[i] = UInt64(bitPattern: Int64(bitPattern: self[i]) + Int64(n))
    }

    /// Adds to the floating-point sum at word `i` (`TallyWords.put(_: Double)` writes it).
    @inline(__always)
    fileprivate func add(_ i: Int, _ v: Double) {
        self[i] = (Double(bitPattern: self[i]) + v).bitPattern
    }
}
