import Mustache

/// The page templates, compiled into the binary so the server needs no files at run time.
/// `{{x}}` escapes HTML; nothing here uses the unescaped `{{{x}}}` form.
enum Templates {
    static func library() throws -> MustacheLibrary {
        var library = MustacheLibrary()
        try library.register(top, named: "top")
        try library.register(bottom, named: "bottom")
        try library.register(dataPrivacy, named: "data-privacy")
        try library.register(generativeAI, named: "generative-ai")
        try library.register(login, named: "login")
        try library.register(message, named: "message")
        try ObjectionTemplates.register(in: &library)
        return library
    }

    static let top = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Settings</title>
        <link rel="stylesheet" href="/assets/settings.css">
        </head>
        <body>
        <header class="bar"><a class="brand" href="/settings/data-privacy">Settings &amp; Privacy</a>
        {{#account}}<div class="account"><span class="who">Signed in as <strong>{{name}}</strong>{{#staff}} (privacy team){{/staff}}</span>
        <form method="post" action="/auth/sign-out"><input type="hidden" name="csrf_token" value="{{csrf}}"><button type="submit" class="link">Sign out</button></form></div>{{/account}}
        </header>
        <main id="main">
        """

    static let bottom = """
        </main>
        <footer class="foot">Consentry · your data, your choice</footer>
        </body>
        </html>
        """

    static let dataPrivacy = """
        {{> top}}
        <nav aria-label="Breadcrumb" class="crumbs"><span>Settings &amp; Privacy</span> › <span aria-current="page">Data privacy</span></nav>
        <h1>Data privacy</h1>
        <p class="lead">How we use the data in your account, and the choices you have.</p>
        <ul class="sections">
          <li><a class="section" href="/settings/data-privacy/generative-ai">
            <span class="section-title">Data for Generative AI Improvement</span>
            <span class="section-state">{{stateWord}}</span>
            <span class="section-why">{{explanation}}</span></a></li>
          <li><a class="section" href="/settings/data-privacy/objection">
            <span class="section-title">Object to the use of your data</span>
            <span class="section-why">Ask us to stop using your data and remove it from datasets already built.</span></a></li>
        </ul>
        {{> bottom}}
        """

    static let generativeAI = """
        {{> top}}
        <nav aria-label="Breadcrumb" class="crumbs"><a href="/settings/data-privacy">Data privacy</a> › <span aria-current="page">Data for Generative AI Improvement</span></nav>
        <h1>Data for Generative AI Improvement</h1>
        {{#saved}}<p class="notice" role="status">Saved. {{explanation}}.</p>{{/saved}}
        {{#gpcApplied}}<p class="notice" role="status">Your browser sent Global Privacy Control, so we switched this off on {{gpcApplied}}. You can switch it back on below.</p>{{/gpcApplied}}
        <section class="card" aria-labelledby="state">
          <h2 id="state" class="state {{stateClass}}">{{explanation}}</h2>
          <form method="post" action="/settings/data-privacy/generative-ai" class="switch-form">
            <input type="hidden" name="csrf_token" value="{{csrfToken}}">
            <div class="switch-row">
              <input type="checkbox" class="switch" role="switch" id="ai-switch" name="enabled" value="on"{{#checked}} checked{{/checked}} aria-checked="{{ariaChecked}}"{{^canChange}} disabled aria-describedby="locked"{{/canChange}}>
              <label for="ai-switch">Use my data to train generative AI models</label>
            </div>
            {{^canChange}}<p id="locked" class="locked">This switch can't change the outcome: {{why}}.</p>{{/canChange}}
            {{#canChange}}<button type="submit" class="save">Save</button>{{/canChange}}
          </form>
        </section>
        <section class="card" aria-labelledby="categories">
          <h2 id="categories">What is used</h2>
          <div class="columns">
            <div><h3>Used when this is on</h3><ul>{{#used}}<li>{{.}}</li>{{/used}}</ul></div>
            <div><h3>Never used</h3><ul>{{#neverUsed}}<li>{{.}}</li>{{/neverUsed}}</ul></div>
          </div>
        </section>
        <section class="card" aria-labelledby="off">
          <h2 id="off">What switching it off does</h2>
          <ul>
            <li>From the moment you save, your data is left out of every new training set.</li>
            <li>Models already trained on your data are not changed by this switch.</li>
            <li>To have your data removed from datasets already built, <a href="/settings/data-privacy/objection">file an objection</a>. You don't have to give a reason.</li>
          </ul>
        </section>
        <section class="card" aria-labelledby="history">
          <h2 id="history">Your choices</h2>
          {{#hasHistory}}<table><thead><tr><th scope="col">When</th><th scope="col">Choice</th><th scope="col">Where</th>{{#receipts}}<th scope="col">Proof</th>{{/receipts}}</tr></thead><tbody>
          {{#history}}<tr><td>{{when}}</td><td>{{choice}}</td><td>{{channel}}</td>{{#receipts}}<td><a href="/settings/data-privacy/generative-ai/receipts/{{sequence}}" download>Receipt</a></td>{{/receipts}}</tr>{{/history}}
          </tbody></table>{{/hasHistory}}
          {{^hasHistory}}<p>You haven't made a choice yet.</p>{{/hasHistory}}
          {{#receipts}}{{#hasHistory}}<p class="hint">A receipt proves your choice is in our public, signed log: anyone can check it with the log's key, without trusting us.</p>{{/hasHistory}}{{/receipts}}
        </section>
        {{> bottom}}
        """

    static let login = """
        {{> top}}
        <h1>Sign in to the demo</h1>
        <p class="lead">Pick a demo member. On a real platform, its own sign-in page posts a token back the same way.</p>
        <ul class="sections">
        {{#members}}<li><form method="post" action="/auth/callback"><input type="hidden" name="state" value="{{state}}"><input type="hidden" name="token" value="{{token}}">
        <button type="submit" class="section"><span class="section-title">{{label}}</span><span class="section-why">{{id}}</span></button></form></li>{{/members}}
        {{#staffToken}}<li><form method="post" action="/auth/callback"><input type="hidden" name="state" value="{{state}}"><input type="hidden" name="token" value="{{staffToken}}">
        <button type="submit" class="section"><span class="section-title">Privacy team</span><span class="section-why">Review objections (role privacy)</span></button></form></li>{{/staffToken}}
        </ul>
        {{> bottom}}
        """

    static let message = """
        {{> top}}
        <h1>{{title}}</h1>
        <p class="lead">{{text}}</p>
        {{#link}}<p><a href="{{link}}">{{linkText}}</a></p>{{/link}}
        {{> bottom}}
        """
}
