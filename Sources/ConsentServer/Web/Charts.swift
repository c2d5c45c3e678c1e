import Foundation

/// Charts drawn on the server as SVG, no JavaScript: this computes the geometry, the
/// `bar-chart` and `line-chart` templates draw it, and each chart carries a table of the same
/// figures (the `chart-table` partial) for screen readers and for anyone who prefers numbers.
///
/// Series differ by colour (Okabe–Ito, distinct for colour-blind readers) and by the dash of
/// their line, and are named in a legend, so nothing depends on colour alone. Colours are
/// presentation attributes, not CSS, so a chart looks the same in a page saved on its own.
enum Charts {
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
    static let dashes = ["", "6 3", "2 3", "8 3 2 3", "4 4", "1 2"]
    static let width = 640.0

    /// A series: its name and, for each row or point, a value (nil: withheld or unknown).
    struct Series {
        var name: String
        var values: [Double?]
    }

    /// Horizontal bars, one group per row, a bar per series: `rows` are the labels down the left.
    static func bars(id: String, title: String, rows: [String], series: [Series], format: (Double) -> String,
                     missing: String) -> [String: Any] {
        // Room for the longest label (about 6.6 px a character at this size), within reason.
        let labelWidth = min(320, max(120, Double(rows.map(\.count).max() ?? 0) * 6.6 + 16)), valueWidth = 110.0
        let barHeight = 16.0, gap = 4.0, groupGap = 12.0
        let groupHeight = Double(series.count) * (barHeight + gap) - gap
        let plot = width - labelWidth - valueWidth
        let largest = series.flatMap { $0.values.compactMap { $0 } }.max() ?? 0
        var rowData: [[String: Any]] = []
        for (index, label) in rows.enumerated() {
            let top = 8 + Double(index) * (groupHeight + groupGap)
            let bars = series.enumerated().map { number, serie -> [String: Any] in
                let value = serie.values[index]
                let length = largest > 0 ? max(value.map { $0 / largest * plot } ?? 0, value == 0 ? 0 : 1) : 0
                let y = top + Double(number) * (barHeight + gap)
                return ["x": fixed(labelWidth), "y": fixed(y), "width": fixed(value == nil ? 0 : length), "height": fixed(barHeight),
                        "color": palette[number % palette.count], "textX": fixed(labelWidth + (value == nil ? 0 : length) + 6),
                        "textY": fixed(y + barHeight - 4), "text": value.map(format) ?? missing, "series": serie.name]
            }
            rowData.append(["label": label, "labelX": fixed(labelWidth - 8), "labelY": fixed(top + groupHeight / 2 + 4), "bars": bars])
        }
        let height = 16 + Double(rows.count) * (groupHeight + groupGap)
        return ["id": id, "title": title, "width": fixed(width), "height": fixed(height), "rows": rowData,
                "legend": legend(series), "hasLegend": series.count > 1,
                "table": table(corner: "", columns: series.map(\.name), rows: rows, cell: { series[$1].values[$0].map(format) ?? missing })]
    }

    /// Lines over time: one point per period (labelled along the bottom), a line per series,
    /// broken where a value is missing. `maximum` fixes the top of the scale (1 for shares).
    static func lines(id: String, title: String, periods: [String], series: [Series], maximum: Double? = nil,
                      format: (Double) -> String, missing: String) -> [String: Any] {
        let left = 56.0, right = 16.0, top = 12.0, plotHeight = 200.0, bottom = 40.0
        let plot = width - left - right
        // Four steps up the side, each a round number: 1, 2 or 5 times a power of ten.
        let largest = maximum ?? 4 * niceCeiling((series.flatMap { $0.values.compactMap { $0 } }.max() ?? 0) / 4)
        let step = periods.count > 1 ? plot / Double(periods.count - 1) : 0
        func x(_ index: Int) -> Double { left + (periods.count > 1 ? Double(index) * step : plot / 2) }
        func y(_ value: Double) -> Double { top + plotHeight - (largest > 0 ? value / largest * plotHeight : 0) }
        let grid = (0...4).map { tick -> [String: Any] in
            let value = largest * Double(tick) / 4
            return ["y": fixed(y(value)), "textY": fixed(y(value) + 4), "label": format(value), "x1": fixed(left), "x2": fixed(width - right)]
        }
        // At most about eight labels along the bottom, evenly spaced.
        let every = max(1, Int((Double(periods.count) / 8).rounded(.up)))
        let ticks = periods.indices.filter { $0 % every == 0 }.map { index -> [String: Any] in
            ["x": fixed(x(index)), "y": fixed(top + plotHeight + 18), "label": periods[index]]
        }
        let lines = series.enumerated().map { number, serie -> [String: Any] in
            var segments: [[String]] = [[]]
            var dots: [[String: Any]] = []
            for (index, value) in serie.values.enumerated() {
                guard let value else {
                    if !(segments.last?.isEmpty ?? true) { segments.append([]) }
                    continue
                }
                segments[segments.count - 1].append("\(fixed(x(index))),\(fixed(y(value)))")
                dots.append(["cx": fixed(x(index)), "cy": fixed(y(value))])
            }
            return ["color": palette[number % palette.count], "dash": dashes[number % dashes.count],
                    "segments": segments.filter { !$0.isEmpty }.map { ["points": $0.joined(separator: " ")] }, "dots": dots]
        }
        return ["id": id, "title": title, "width": fixed(width), "height": fixed(top + plotHeight + bottom),
                "axisY": fixed(top + plotHeight), "axisX1": fixed(left), "axisX2": fixed(width - right),
                "grid": grid, "ticks": ticks, "lines": lines, "legend": legend(series), "hasLegend": !series.isEmpty,
                "table": table(corner: "Week of", columns: series.map(\.name), rows: periods, cell: { series[$1].values[$0].map(format) ?? missing })]
    }

    static func legend(_ series: [Series]) -> [[String: Any]] {
        series.enumerated().map { number, serie in
            ["name": serie.name, "color": palette[number % palette.count], "dash": dashes[number % dashes.count]]
        }
    }

    /// The figures as a table: a row per label, a column per series.
    static func table(corner: String, columns: [String], rows: [String], cell: (Int, Int) -> String) -> [String: Any] {
        ["corner": corner, "columns": columns.map { ["name": $0] },
         "rows": rows.enumerated().map { row, label in
             ["label": label, "cells": columns.indices.map { ["value": cell(row, $0)] }] as [String: Any]
         }]
    }

    /// 1, 2 or 5 times a power of ten, at least `value` (and at least 1).
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 1 else { return 1 }
        let power = pow(10, floor(log10(value)))
        for factor in [1.0, 2, 5, 10] where factor * power >= value { return factor * power }
        return 10 * power
    }

    /// Coordinates with one decimal: short, and the same on every machine.
    static func fixed(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        return tenths.truncatingRemainder(dividingBy: 10) == 0 ? String(Int(tenths / 10)) : String(format: "%.1f", tenths / 10)
    }
}
