import Foundation
import Mustache

/// The pages' templates and stylesheet: `.mustache` and `.css` files under `Resources/`,
/// compiled into the binary (`PackageResources`), so the server needs no files beside it.
/// Templates use only the escaping `{{x}}` form, never `{{{x}}}`: what members and staff type is
/// shown as text, never as markup.
enum Templates {
    /// Every template, by the name pages and partials (`{{> top}}`) use: the file's name.
    static let files: [(name: String, bytes: [UInt8])] = [
        ("top", PackageResources.top_mustache), ("bottom", PackageResources.bottom_mustache),
        ("message", PackageResources.message_mustache), ("login", PackageResources.login_mustache),
        ("data-privacy", PackageResources.data_privacy_mustache), ("generative-ai", PackageResources.generative_ai_mustache),
        ("objection-form", PackageResources.objection_form_mustache), ("objection", PackageResources.objection_mustache),
        ("timeline", PackageResources.timeline_mustache), ("removal", PackageResources.removal_mustache),
        ("admin-objections", PackageResources.admin_objections_mustache), ("admin-objection", PackageResources.admin_objection_mustache),
        ("admin-dashboard", PackageResources.admin_dashboard_mustache), ("transparency", PackageResources.transparency_mustache),
        ("figures", PackageResources.figures_mustache), ("bar-chart", PackageResources.bar_chart_mustache),
        ("line-chart", PackageResources.line_chart_mustache), ("chart-table", PackageResources.chart_table_mustache),
        ("languages", PackageResources.languages_mustache),
    ]

    static func library() throws -> MustacheLibrary {
        var library = MustacheLibrary()
        for file in files {
            var text = String(decoding: file.bytes, as: UTF8.self)
            // A file ends with a line feed; the page goes on after a partial without one.
            if text.hasSuffix("\n") { text.removeLast() }
            try library.register(text, named: file.name)
        }
        return library
    }

    /// `Resources/settings.css`, served at `/assets/settings.css`.
    static let stylesheet = String(decoding: PackageResources.settings_css, as: UTF8.self)
}
