import Foundation

/// A quadrant of the importance–performance matrix (Martilla & James 1977).
public enum ImportancePerformanceQuadrant: String, Sendable, CaseIterable, Codable {
    /// Important and under-performing.
    case concentrate
    /// Important and performing well.
    case keepUp = "keep-up"
    /// Less important and under-performing.
    case lowPriority = "low-priority"
    /// Less important yet performing well.
    case overkill

    /// The quadrant's name as the literature prints it.
    public var title: String {
        switch self {
        case .concentrate: "Concentrate here"
        case .keepUp: "Keep up the good work"
        case .lowPriority: "Low priority"
        case .overkill: "Possible overkill"
        }
    }
}

/// Importance–performance placement of each dimension, crosshairs at the means of both axes.
public struct ImportancePerformance: Sendable, Hashable {
    /// Mean importance, the vertical crosshair.
    public var importanceCut: Double
    /// Mean performance, the horizontal crosshair.
    public var performanceCut: Double
    /// One quadrant per dimension, in input order.
    public var quadrants: [ImportancePerformanceQuadrant]
}

/// Standardised regression of the overall item on the dimensions, with Johnson's relative weights.
public struct DriverRegression: Sendable, Hashable {
    /// Standardised OLS coefficients. Under collinearity they can flip sign (a dimension that
    /// correlates 0.9 with overall can get a negative β), so reports show `relativeWeights`.
    public var standardizedBetas: [Double]
    /// Share of the overall item's variance the dimensions explain.
    public var rSquared: Double
    /// Johnson's relative weights: non-negative, summing to R².
    public var relativeWeights: [Double]

    /// Relative weights as percentages of R², summing to 100.
    public var relativeWeightPercents: [Double] {
        rSquared > 0 ? relativeWeights.map { $0 / rSquared * 100 } : relativeWeights.map { _ in 0 }
    }
}

extension Statistics {
    /// Places each dimension by importance (e.g. r with overall) and performance (0–100 index).
    /// A value exactly on a crosshair counts as high. nil when the lists are empty or differ in
    /// length.
    public static func importancePerformance(importance: [Double], performance: [Double])
        -> ImportancePerformance?
    {
        guard !importance.isEmpty, importance.count == performance.count else { return nil }
        let n = Double(importance.count)
        let importanceCut = importance.reduce(0, +) / n
        let performanceCut = performance.reduce(0, +) / n
        let quadrants = zip(importance, performance).map {
            item, score -> ImportancePerformanceQuadrant in
            switch (item >= importanceCut, score >= performanceCut) {
            case (true, false): .concentrate
            case (true, true): .keepUp
            case (false, false): .lowPriority
            case (false, true): .overkill
            }
        }
        return ImportancePerformance(
            importanceCut: importanceCut, performanceCut: performanceCut, quadrants: quadrants)
    }

    /// Regression of `outcome` on the other variables of a correlation matrix (as
    /// `CrossProductAccumulator.correlationMatrix` gives). nil when the matrix is malformed or the
    /// dimensions are so collinear that their correlation matrix is singular.
    public static func driverRegression(correlationMatrix r: [[Double]], outcome: Int)
        -> DriverRegression?
    {
        let size = r.count
        guard size >= 2, r.allSatisfy({ $0.count == size }), (0..<size).contains(outcome) else {
            return nil
        }
        let predictors = (0..<size).filter { $0 != outcome }
        let rxx = predictors.map { i in predictors.map { j in r[i][j] } }
        let rxy = predictors.map { r[$0][outcome] }

        // Rxx = V Λ Vᵀ. Johnson (2000) regresses y on the orthogonal Z = X·Rxx^(−1/2), whose
        // columns are as close as possible to the originals; Λ^(1/2) maps Z's shares back onto X.
        guard let (eigenvalues, vectors) = symmetricEigen(rxx) else { return nil }
        let largest = eigenvalues.max() ?? 0
        guard largest > 0, eigenvalues.allSatisfy({ $0 > largest * 1e-12 }) else { return nil }
        let p = predictors.count
        // V f(Λ) Vᵀ for the matrix functions Rxx⁻¹, Rxx^(1/2) and Rxx^(−1/2).
        func product(_ scale: (Double) -> Double) -> [[Double]] {
            var m = Array(repeating: Array(repeating: 0.0, count: p), count: p)
            for i in 0..<p {
                for j in 0..<p {
                    var total = 0.0
                    for k in 0..<p {
                        total += vectors[i][k] * scale(eigenvalues[k]) * vectors[j][k]
                    }
                    m[i][j] = total
                }
            }
            return m
        }
        let inverse = product { 1 / $0 }
        let root = product { $0.squareRoot() }
        let inverseRoot = product { 1 / $0.squareRoot() }
        func times(_ m: [[Double]], _ v: [Double]) -> [Double] {
            m.map { row in zip(row, v).reduce(0.0) { $0 + $1.0 * $1.1 } }
        }
        let betas = times(inverse, rxy)
        let rSquared = zip(betas, rxy).reduce(0.0) { $0 + $1.0 * $1.1 }
        let zBetas = times(inverseRoot, rxy)
        let weights = (0..<p).map { j -> Double in
            var total = 0.0
            for k in 0..<p {
                let loading = root[j][k] * zBetas[k]
                total += loading * loading
            }
            return total
        }
        return DriverRegression(standardizedBetas: betas, rSquared: rSquared, relativeWeights: weights)
    }

    /// Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations; returns the
    /// eigenvalues and the eigenvectors as columns. Jacobi is chosen over faster methods because
    /// a handful of dimensions makes speed moot and its rotations keep the vectors orthogonal to
    /// rounding, which the matrix square roots above rely on.
    static func symmetricEigen(_ matrix: [[Double]]) -> (values: [Double], vectors: [[Double]])? {
        let n = matrix.count
        guard n > 0, matrix.allSatisfy({ $0.count == n }) else { return nil }
        var a = matrix
        var v = (0..<n).map { i in (0..<n).map { j in i == j ? 1.0 : 0.0 } }
        for _ in 0..<100 {
            var offDiagonal = 0.0
            for i in 0..<n { for j in 0..<n where i != j { offDiagonal += a[i][j] * a[i][j] } }
            if offDiagonal < 1e-30 { break }
            for p in 0..<(n - 1) {
                for q in (p + 1)..<n where a[p][q] != 0 {
                    // Rotate in the (p, q) plane by the angle that zeroes a[p][q]; the smaller root
                    // of t² + 2θt − 1 = 0 keeps the rotation below 45° for stability.
                    let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot()
                    let s = t * c
                    for k in 0..<n {
                        let akp = a[k][p]
                        let akq = a[k][q]
                        a[k][p] = c * akp - s * akq
                        a[k][q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p][k]
                        let aqk = a[q][k]
                        a[p][k] = c * apk - s * aqk
                        a[q][k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k][p]
                        let vkq = v[k][q]
                        v[k][p] = c * vkp - s * vkq
                        v[k][q] = s * vkp + c * vkq
                    }
                }
            }
        }
        return ((0..<n).map { a[$0][$0] }, v)
    }
}
