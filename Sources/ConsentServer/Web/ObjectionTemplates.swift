import Mustache

/// The objection pages: the member's form, receipt and status, and the privacy team's queue and
/// detail. Like every template here, only the escaping `{{x}}` form is used: what members and
/// staff type is shown as text, never as markup.
enum ObjectionTemplates {
    static func register(in library: inout MustacheLibrary) throws {
        try library.register(form, named: "objection-form")
        try library.register(status, named: "objection")
        try library.register(queue, named: "admin-objections")
        try library.register(detail, named: "admin-objection")
        try library.register(timeline, named: "timeline")
        try library.register(removal, named: "removal")
    }

    static let form = """
        {{> top}}
        <nav aria-label="Breadcrumb" class="crumbs"><a href="/settings/data-privacy">Data privacy</a> › <span aria-current="page">Object to the use of your data</span></nav>
        <h1>Object to the use of your data</h1>
        <p class="lead">Ask us to stop using your data to train generative AI models, and to remove it from training data we already built. You don't have to give a reason.</p>
        {{#error}}<p class="error" role="alert" id="form-error">{{error}}</p>{{/error}}
        <section class="card" aria-labelledby="covers">
          <h2 id="covers">What your objection covers</h2>
          <ul>
            <li><strong>Future use:</strong> from the moment we receive it, your data is left out of every new training set, whatever the setting says.</li>
            <li><strong>Past use:</strong> if we uphold it, we remove your data from every training dataset that holds it, and show you which ones on the objection's page.</li>
            <li>We answer within {{response}}. If we need more time, we tell you why before then.</li>
          </ul>
        </section>
        <form method="post" action="/settings/data-privacy/objection" class="card objection-form">
          <input type="hidden" name="csrf_token" value="{{csrfToken}}">
          <label for="reason">Your reason <span class="optional">(optional)</span></label>
          <textarea id="reason" name="reason" rows="4" maxlength="5000"{{#error}} aria-describedby="form-error"{{/error}}>{{reason}}</textarea>
          <label for="email">Email for updates <span class="optional">(optional)</span></label>
          <input type="email" id="email" name="email" value="{{email}}" autocomplete="email">
          <button type="submit" class="save">File my objection</button>
        </form>
        {{#hasObjections}}
        <section class="card" aria-labelledby="yours">
          <h2 id="yours">Your objections</h2>
          <ul class="plain">{{#objections}}<li><a href="/settings/data-privacy/objections/{{id}}">{{id}}</a> · {{statusWord}} · received {{received}}</li>{{/objections}}</ul>
        </section>
        {{/hasObjections}}
        {{> bottom}}
        """

    static let timeline = """
        <ol class="timeline">{{#timeline}}<li><span class="when">{{when}}</span> <strong>{{title}}</strong>{{#text}}<span class="what">{{text}}</span>{{/text}}</li>{{/timeline}}</ol>
        """

    static let removal = """
        {{#hasRemoval}}
        <section class="card" aria-labelledby="removal">
          <h2 id="removal">Removing your data</h2>
          {{#hasDatasets}}<table><thead><tr><th scope="col">Dataset</th><th scope="col">Status</th></tr></thead><tbody>
          {{#datasets}}<tr><td>{{name}} <span class="muted">{{id}}</span></td><td>{{state}}</td></tr>{{/datasets}}
          </tbody></table>{{/hasDatasets}}
          {{^hasDatasets}}<p>No training dataset we registered holds this data.</p>{{/hasDatasets}}
          {{#hasModels}}<h3>Models trained on data that included it</h3><ul>{{#models}}<li>{{model}} (from {{dataset}}, registered {{registered}})</li>{{/models}}</ul>{{/hasModels}}
        </section>
        {{/hasRemoval}}
        """

    static let status = """
        {{> top}}
        <nav aria-label="Breadcrumb" class="crumbs"><a href="/settings/data-privacy">Data privacy</a> › <a href="/settings/data-privacy/objection">Objections</a> › <span aria-current="page">{{id}}</span></nav>
        <h1>{{#filed}}Objection received{{/filed}}{{^filed}}Your objection{{/filed}}</h1>
        {{#filed}}<p class="notice" role="status">We received your objection. Your data is left out of training from now on.</p>{{/filed}}
        <section class="card receipt" aria-labelledby="summary">
          <h2 id="summary" class="status-{{status}}">{{statusWord}}</h2>
          <dl class="facts">
            <dt>Objection</dt><dd id="objection-id">{{id}}</dd>
            <dt>Received</dt><dd id="received">{{received}}</dd>
            <dt>Answer due</dt><dd id="due">{{due}}</dd>
            {{#extendedDue}}<dt>Extended to</dt><dd id="extended-due">{{extendedDue}}</dd>{{/extendedDue}}
            {{#decided}}<dt>Decided</dt><dd>{{decided}}</dd>{{/decided}}
          </dl>
          <p id="next">{{next}}</p>
          {{#rejected}}<p class="rights">You have the right to lodge a complaint with your data protection authority, and to seek a remedy before a court.</p>{{/rejected}}
        </section>
        {{#verified}}<p class="notice" role="status">Thank you: {{verified}} is confirmed. We will tell you there how your objection goes.</p>{{/verified}}
        {{#emailToVerify}}
        <form method="post" action="/settings/data-privacy/email-verification" class="card" aria-labelledby="confirm">
          <h2 id="confirm">Confirm your email address</h2>
          <p>We sent a code to <strong>{{emailToVerify}}</strong>. Until you enter it here, nothing about your objection is sent to that address: we need to know it is yours.</p>
          {{#verifyError}}<p class="error" role="alert" id="verify-error">{{verifyError}}</p>{{/verifyError}}
          <input type="hidden" name="csrf_token" value="{{csrfToken}}">
          <input type="hidden" name="objection" value="{{id}}">
          <label for="code">The 8-digit code</label>
          <input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{8}" maxlength="8"{{#verifyError}} aria-describedby="verify-error"{{/verifyError}}>
          <button type="submit" class="save">Confirm</button>
        </form>
        {{/emailToVerify}}
        <section class="card" aria-labelledby="history">
          <h2 id="history">Timeline</h2>
          {{> timeline}}
          {{#receipts}}<p><a href="/settings/data-privacy/objections/{{id}}/receipt" download>Download the receipt of the latest step</a>: proof, checkable by anyone with our log's key, that it is in our public signed log.</p>{{/receipts}}
        </section>
        {{> removal}}
        {{> bottom}}
        """

    static let queue = """
        {{> top}}
        <h1>Objections</h1>
        <p class="lead">Undecided objections first, soonest due first. Signed in as {{staff}}.</p>
        {{#hasHeld}}
        <section class="error" aria-labelledby="held-heading">
          <h2 id="held-heading">Data of objectors still in datasets</h2>
          <p>These datasets hold members whose objection was upheld. Run <code>consentry purge</code> to remove them; a completed objection listed here means the member's data turned up again after it was removed.</p>
          <table class="queue"><thead><tr><th scope="col">Objection</th><th scope="col">Member</th><th scope="col">Dataset</th><th scope="col">State</th></tr></thead><tbody>
          {{#held}}<tr><td><a href="/admin/objections/{{objection}}">{{objection}}</a></td><td>{{member}}</td><td>{{dataset}}</td><td>{{state}}</td></tr>{{/held}}
          </tbody></table>
        </section>
        {{/hasHeld}}
        <form method="get" action="/admin/objections" class="filters">
          <label for="status">Status</label>
          <select id="status" name="status"><option value="">Any</option>{{#statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/statuses}}</select>
          <label for="region">Region</label>
          <select id="region" name="region"><option value="">Any</option>{{#regions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/regions}}</select>
          <label><input type="checkbox" name="overdue" value="true"{{#overdueOnly}} checked{{/overdueOnly}}> Overdue only</label>
          <button type="submit" class="save">Filter</button>
        </form>
        {{#hasItems}}
        <table class="queue"><thead><tr><th scope="col">Objection</th><th scope="col">From</th><th scope="col">Region</th><th scope="col">Status</th><th scope="col">Received</th><th scope="col">Due</th><th scope="col">Days left</th></tr></thead><tbody>
        {{#items}}<tr class="{{#overdue}}overdue{{/overdue}}"><td><a href="/admin/objections/{{id}}">{{id}}</a></td><td>{{from}}</td><td>{{region}}</td><td>{{status}}</td><td>{{received}}</td><td>{{due}}</td><td>{{daysLeft}}</td></tr>{{/items}}
        </tbody></table>
        {{/hasItems}}
        {{^hasItems}}<p>No objection matches.</p>{{/hasItems}}
        {{> bottom}}
        """

    static let detail = """
        {{> top}}
        <nav aria-label="Breadcrumb" class="crumbs"><a href="/admin/objections">Objections</a> › <span aria-current="page">{{id}}</span></nav>
        <h1>Objection {{id}}</h1>
        {{#done}}<p class="notice" role="status">{{done}}</p>{{/done}}
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <section class="card" aria-labelledby="summary">
          <h2 id="summary" class="status-{{status}}">{{status}}{{#overdue}} · overdue{{/overdue}}</h2>
          <dl class="facts">
            <dt>From</dt><dd id="from">{{from}}</dd>
            {{#email}}<dt>Email</dt><dd>{{email}}</dd>{{/email}}
            {{#hasIdentifiers}}<dt>Identifies their data</dt><dd><ul class="plain">{{#identifiers}}<li>{{.}}</li>{{/identifiers}}</ul></dd>{{/hasIdentifiers}}
            {{#region}}<dt>Region</dt><dd>{{region}}</dd>{{/region}}
            <dt>Received</dt><dd>{{received}}</dd>
            <dt>Due</dt><dd>{{due}}{{#daysLeft}} ({{daysLeft}} days left){{/daysLeft}}</dd>
            {{#extendedDue}}<dt>Extended to</dt><dd>{{extendedDue}}</dd>{{/extendedDue}}
            <dt>Their reason</dt><dd id="member-reason">{{memberReason}}{{^memberReason}}None given (none is required).{{/memberReason}}</dd>
          </dl>
        </section>
        {{#explanation}}<section class="card" aria-labelledby="decision"><h2 id="decision">The member's setting now</h2><p>{{explanation}}</p>
          {{#hasChoices}}<table><thead><tr><th scope="col">When</th><th scope="col">Choice</th><th scope="col">Where</th></tr></thead><tbody>{{#choices}}<tr><td>{{when}}</td><td>{{choice}}</td><td>{{channel}}</td></tr>{{/choices}}</tbody></table>{{/hasChoices}}
        </section>{{/explanation}}
        {{#pending}}
        <section class="card" aria-labelledby="decide">
          <h2 id="decide">Decide</h2>
          <form method="post" action="/admin/objections/{{id}}/decision" class="decision-form">
            <input type="hidden" name="csrf_token" value="{{csrfToken}}"><input type="hidden" name="decision" value="uphold">
            <label for="uphold-reason">Reason for upholding (told to them)</label>
            <textarea id="uphold-reason" name="reason" rows="3" required>We have upheld your objection. Your data will no longer be used to train generative AI models, and we are removing it from the training datasets that hold it.</textarea>
            <button type="submit" class="save" id="uphold">Uphold</button>
          </form>
          <form method="post" action="/admin/objections/{{id}}/decision" class="decision-form">
            <input type="hidden" name="csrf_token" value="{{csrfToken}}"><input type="hidden" name="decision" value="reject">
            <label for="reject-reason">Reasons for rejecting (told to them)</label>
            <textarea id="reject-reason" name="reason" rows="6" required>{{rejectionTemplate}}</textarea>
            <button type="submit" class="save reject" id="reject">Reject</button>
          </form>
          {{#canExtend}}
          <form method="post" action="/admin/objections/{{id}}/extension" class="decision-form">
            <input type="hidden" name="csrf_token" value="{{csrfToken}}">
            <label for="amount">Extend by (at most {{maxExtension}} from the first deadline: until {{latestDue}})</label>
            <input type="number" id="amount" name="amount" min="1" value="{{defaultAmount}}" required>
            <label for="unit">Counted in</label>
            <select id="unit" name="unit"><option value="months"{{#inMonths}} selected{{/inMonths}}>calendar months</option><option value="days"{{^inMonths}} selected{{/inMonths}}>days</option></select>
            <label for="extend-reason">Why more time is needed (told to them)</label>
            <textarea id="extend-reason" name="reason" rows="3" required></textarea>
            <button type="submit" class="save" id="extend">Extend</button>
          </form>
          {{/canExtend}}
        </section>
        {{/pending}}
        <section class="card" aria-labelledby="history"><h2 id="history">Timeline</h2>{{> timeline}}</section>
        {{> removal}}
        {{> bottom}}
        """
}
