/// The settings pages' stylesheet: served from `/assets/settings.css`, nothing loaded from elsewhere.
enum Stylesheet {
    static let css = """
        :root { --ink: #1d2226; --muted: #5e6670; --line: #d9dde1; --bg: #f4f2ee; --card: #fff; --on: #057642; --off: #8a3b12; --accent: #0a66c2; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
        .bar { background: var(--card); border-bottom: 1px solid var(--line); padding: .75rem 1rem; display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between; }
        .account { display: flex; gap: .75rem; align-items: center; color: var(--muted); font-size: .95rem; }
        .account form { margin: 0; }
        button.link { background: none; border: none; padding: 0; color: var(--accent); font: inherit; text-decoration: underline; cursor: pointer; }
        button.section { width: 100%; text-align: left; font: inherit; cursor: pointer; }
        .brand { font-weight: 600; color: var(--ink); text-decoration: none; }
        main { max-width: 44rem; margin: 0 auto; padding: 1rem; }
        h1 { font-size: 1.6rem; margin: .5rem 0; }
        h2 { font-size: 1.15rem; margin: 0 0 .5rem; }
        h3 { font-size: 1rem; margin: .25rem 0; }
        .lead { color: var(--muted); }
        .crumbs { font-size: .9rem; color: var(--muted); }
        .crumbs a, a { color: var(--accent); }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: .75rem; padding: 1rem 1.25rem; margin: 1rem 0; }
        .sections { list-style: none; padding: 0; }
        .section { display: grid; gap: .15rem; background: var(--card); border: 1px solid var(--line); border-radius: .75rem; padding: 1rem; margin: .5rem 0; color: var(--ink); text-decoration: none; }
        .section:focus, .section:hover { border-color: var(--accent); }
        .section-title { font-weight: 600; }
        .section-state { font-weight: 600; color: var(--accent); }
        .section-why { color: var(--muted); font-size: .95rem; }
        .state.on { color: var(--on); }
        .state.off { color: var(--off); }
        .notice { background: #e8f3ec; border: 1px solid #b7dcc4; border-radius: .5rem; padding: .5rem .75rem; }
        .switch-row { display: flex; align-items: center; gap: .75rem; margin: .75rem 0; }
        .switch { appearance: none; width: 3rem; height: 1.6rem; border-radius: 1rem; background: #b6bcc2; position: relative; cursor: pointer; flex: none; margin: 0; }
        .switch::after { content: ""; position: absolute; top: .2rem; left: .2rem; width: 1.2rem; height: 1.2rem; border-radius: 50%; background: #fff; transition: left .15s; }
        .switch:checked { background: var(--on); }
        .switch:checked::after { left: 1.6rem; }
        .switch:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
        .switch:disabled { opacity: .5; cursor: not-allowed; }
        .locked { color: var(--muted); }
        .save { background: var(--accent); color: #fff; border: 0; border-radius: 1.5rem; padding: .5rem 1.25rem; font-size: 1rem; cursor: pointer; }
        .save:focus-visible { outline: 3px solid var(--ink); outline-offset: 2px; }
        .columns { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
        table { width: 100%; border-collapse: collapse; }
        th, td { text-align: left; padding: .35rem .25rem; border-bottom: 1px solid var(--line); }
        .error { background: #fbe9e7; border: 1px solid #e6b4a8; border-radius: .5rem; padding: .5rem .75rem; }
        .objection-form label, .decision-form label { display: block; font-weight: 600; margin: .75rem 0 .25rem; }
        textarea, input[type=email], input[type=number], select { width: 100%; font: inherit; padding: .4rem .5rem; border: 1px solid var(--line); border-radius: .4rem; }
        .decision-form { margin: 1rem 0; padding-top: .5rem; border-top: 1px solid var(--line); }
        .decision-form .save { margin-top: .5rem; }
        .save.reject { background: var(--off); }
        .optional, .muted { color: var(--muted); font-weight: normal; }
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
        .facts dt { color: var(--muted); }
        .facts dd { margin: 0; overflow-wrap: anywhere; }
        .timeline { padding-left: 1.25rem; }
        .timeline li { margin: .4rem 0; }
        .timeline .when { color: var(--muted); font-size: .9rem; }
        .timeline .what { display: block; overflow-wrap: anywhere; }
        .plain { list-style: none; padding: 0; margin: 0; }
        .filters { display: flex; flex-wrap: wrap; align-items: end; gap: .5rem 1rem; margin: 1rem 0; }
        .filters select { width: auto; }
        .queue td { overflow-wrap: anywhere; }
        tr.overdue td { background: #fbe9e7; font-weight: 600; }
        main:has(.queue) { max-width: 64rem; }
        .foot { text-align: center; color: var(--muted); font-size: .85rem; padding: 2rem 1rem; }
        @media (max-width: 32rem) { .columns { grid-template-columns: 1fr; } h1 { font-size: 1.35rem; } }
        """
}
